import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { readBody } from '../../src/http/body.ts';
import type { Runtime } from '../../src/runtime.ts';
import { sendJson, ssoOidcError, ssoOidcErrors } from './json.ts';

export const SSO_OIDC_PREFIX = '/aws/sso-oidc';

// Request shapes of the AWS SSO OIDC service model (member names as the SDKs send them).
const list = z.array(z.string().min(1).max(1024)).max(50);
export const registerClientSchema = z.object({
  clientName: z.string().min(1).max(200),
  clientType: z.enum(['public', 'confidential']),
  scopes: list.optional(),
  redirectUris: list.optional(),
  grantTypes: list.optional(),
  issuerUrl: z.string().max(1024).optional(),
  entitledApplicationArn: z.string().max(1024).optional(),
});
export const startDeviceAuthorizationSchema = z.object({
  clientId: z.string().min(1).max(256),
  clientSecret: z.string().min(1).max(4096),
  startUrl: z.string().min(1).max(1024),
});
export const createTokenSchema = z.object({
  clientId: z.string().min(1).max(256),
  clientSecret: z.string().min(1).max(4096),
  grantType: z.string().min(1).max(256),
  deviceCode: z.string().max(4096).optional(),
  code: z.string().max(4096).optional(),
  refreshToken: z.string().max(4096).optional(),
  scope: list.optional(),
  redirectUri: z.string().max(1024).optional(),
  codeVerifier: z.string().max(256).optional(),
});

export type RegisterClientInput = z.infer<typeof registerClientSchema>;
export type StartDeviceAuthorizationInput = z.infer<typeof startDeviceAuthorizationSchema>;
export type CreateTokenInput = z.infer<typeof createTokenSchema>;

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  /** Epoch seconds. */
  clientIdIssuedAt: number;
  clientSecretExpiresAt: number;
}

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string;
  expiresIn: number;
  interval: number;
}

export interface TokenSet {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
  refreshToken?: string;
  idToken?: string;
}

/** What the sso-oidc front door translates onto (Gatehouse's OpenID provider; see ./oidc-bridge.ts). */
export interface SsoOidcBackend {
  registerClient(input: RegisterClientInput, ctx: Context): Promise<RegisteredClient>;
  startDeviceAuthorization(input: StartDeviceAuthorizationInput, ctx: Context): Promise<DeviceAuthorization>;
  createToken(input: CreateTokenInput, ctx: Context): Promise<TokenSet>;
  /** The browser step of the authorization-code flow: where to send the browser next. */
  authorize(query: URLSearchParams, ctx: Context): Promise<string>;
}

async function readInput<T>(ctx: Context, runtime: Runtime, schema: z.ZodType<T>): Promise<T> {
  const body = await readBody(ctx, runtime.config.http.bodyLimit);
  let json: unknown;
  try {
    json = body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    throw ssoOidcError('InvalidRequestException', 'request body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw ssoOidcError('InvalidRequestException', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * `/aws/sso-oidc`: AWS IAM Identity Center's OIDC API (restJson1, unsigned) for SDK and CLI endpoint
 * overrides: RegisterClient, StartDeviceAuthorization, CreateToken and the browser's /authorize.
 */
export function ssoOidcRoutes(runtime: Runtime, backend: SsoOidcBackend): Router {
  const router = new Router({ prefix: SSO_OIDC_PREFIX });
  router.use(ssoOidcErrors(runtime.log));
  router.post('/client/register', async (ctx) => {
    const input = await readInput(ctx, runtime, registerClientSchema);
    const client = await backend.registerClient(input, ctx);
    const base = `${runtime.config.url}${SSO_OIDC_PREFIX}`;
    sendJson(ctx, 200, {
      ...client,
      authorizationEndpoint: `${base}/authorize`,
      tokenEndpoint: `${base}/token`,
    });
  });
  router.post('/device_authorization', async (ctx) => {
    const input = await readInput(ctx, runtime, startDeviceAuthorizationSchema);
    sendJson(ctx, 200, await backend.startDeviceAuthorization(input, ctx));
  });
  router.post('/token', async (ctx) => {
    if (ctx.query['aws_iam'] !== undefined)
      throw ssoOidcError('UnsupportedGrantTypeException', 'CreateTokenWithIAM is not supported');
    const input = await readInput(ctx, runtime, createTokenSchema);
    sendJson(ctx, 200, await backend.createToken(input, ctx));
  });
  router.get('/authorize', async (ctx) => {
    ctx.redirect(await backend.authorize(new URLSearchParams(ctx.querystring), ctx));
  });
  return router;
}
