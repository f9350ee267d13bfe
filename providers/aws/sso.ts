import Router from '@koa/router';
import type { Context } from 'koa';
import type { AuditContext } from '../../src/audit/audit.ts';
import type { Runtime } from '../../src/runtime.ts';
import { sendJson, ssoError, ssoErrors } from './json.ts';

export const SSO_PREFIX = '/aws/sso';
const BEARER_HEADER = 'x-amz-sso_bearer_token';

/** Who a bearer token belongs to (a Gatehouse OpenID access token, checked against revocation). */
export interface SsoSession {
  userId: string;
  /** Whether the sign-in behind the token included a second factor. */
  mfa: boolean;
  /** The token's own id, and its grant (with the refresh tokens), to end them on logout. */
  tokenId: string;
  grantId?: string;
}

export interface SsoAccount {
  accountId: string;
  accountName: string;
  emailAddress?: string;
}

export interface SsoRoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch milliseconds. */
  expiration: number;
}

/** What the sso front door translates onto: token check, effective access, credential issue. */
export interface SsoBackend {
  session(token: string): Promise<SsoSession | undefined>;
  accounts(session: SsoSession): Promise<SsoAccount[]>;
  /** Permission set names the user holds in the account (empty: not assigned there). */
  roles(session: SsoSession, accountId: string): Promise<string[]>;
  credentials(
    session: SsoSession,
    accountId: string,
    roleName: string,
    context: AuditContext,
  ): Promise<SsoRoleCredentials>;
  logout(session: SsoSession, context: AuditContext): Promise<void>;
}

const MAX_RESULTS = 100;

/** One page of a list: `next_token` is the offset, opaque to callers. */
function page<T>(ctx: Context, items: T[]): { items: T[]; nextToken?: string } {
  const max = numberParam(ctx, 'max_result', 1, MAX_RESULTS) ?? MAX_RESULTS;
  const token = stringParam(ctx, 'next_token');
  let start = 0;
  if (token !== undefined) {
    const decoded = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isSafeInteger(decoded) || decoded < 0 || decoded > items.length)
      throw ssoError('InvalidRequestException', 'next_token is not valid');
    start = decoded;
  }
  const end = start + max;
  return end < items.length
    ? { items: items.slice(start, end), nextToken: Buffer.from(String(end)).toString('base64url') }
    : { items: items.slice(start) };
}

function stringParam(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw ssoError('InvalidRequestException', `${name} given more than once`);
  return value === undefined || value === '' ? undefined : value;
}

function requiredParam(ctx: Context, name: string): string {
  const value = stringParam(ctx, name);
  if (value === undefined) throw ssoError('InvalidRequestException', `${name} is required`);
  if (value.length > 256) throw ssoError('InvalidRequestException', `${name} is too long`);
  return value;
}

function numberParam(ctx: Context, name: string, min: number, max: number): number | undefined {
  const text = stringParam(ctx, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw ssoError('InvalidRequestException', `${name} must be between ${min} and ${max}`);
  return value;
}

const auditContext = (ctx: Context, session: SsoSession): AuditContext => ({
  actor: `user:${session.userId}`,
  requestId: String(ctx.state['requestId'] ?? ''),
  ip: ctx.ip,
});

/**
 * `/aws/sso`: AWS IAM Identity Center's portal API (restJson1) for SDK and CLI endpoint overrides:
 * ListAccounts, ListAccountRoles, GetRoleCredentials, Logout, with the sso-oidc access token in
 * `x-amz-sso_bearer_token`.
 */
export function ssoRoutes(runtime: Runtime, backend: SsoBackend): Router {
  const router = new Router({ prefix: SSO_PREFIX });
  router.use(ssoErrors(runtime.log));
  router.use(async (ctx, next) => {
    const token = ctx.get(BEARER_HEADER);
    if (!token || token.length > 8192)
      throw ssoError('UnauthorizedException', 'Session token not found or invalid');
    const session = await backend.session(token);
    if (!session) throw ssoError('UnauthorizedException', 'Session token not found or invalid');
    ctx.state['ssoSession'] = session;
    await next();
  });
  const sessionOf = (ctx: Context) => ctx.state['ssoSession'] as SsoSession;

  router.get('/assignment/accounts', async (ctx) => {
    const { items, nextToken } = page(ctx, await backend.accounts(sessionOf(ctx)));
    sendJson(ctx, 200, { accountList: items, ...(nextToken ? { nextToken } : {}) });
  });
  router.get('/assignment/roles', async (ctx) => {
    const accountId = requiredParam(ctx, 'account_id');
    const roles = await backend.roles(sessionOf(ctx), accountId);
    const { items, nextToken } = page(
      ctx,
      roles.map((roleName) => ({ roleName, accountId })),
    );
    sendJson(ctx, 200, { roleList: items, ...(nextToken ? { nextToken } : {}) });
  });
  router.get('/federation/credentials', async (ctx) => {
    const roleName = requiredParam(ctx, 'role_name');
    const accountId = requiredParam(ctx, 'account_id');
    const session = sessionOf(ctx);
    const roleCredentials = await backend.credentials(
      session,
      accountId,
      roleName,
      auditContext(ctx, session),
    );
    sendJson(ctx, 200, { roleCredentials });
  });
  router.post('/logout', async (ctx) => {
    const session = sessionOf(ctx);
    await backend.logout(session, auditContext(ctx, session));
    ctx.status = 200;
    ctx.body = '';
  });
  return router;
}
