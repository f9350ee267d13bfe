import { setTimeout as delay } from 'node:timers/promises';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { z } from 'zod';
import { GatehouseError } from '../errors.ts';
import type { Command, CommandContext } from './commands.ts';
import { UsageError } from './io.ts';
import {
  discover,
  OAuthError,
  pollDevice,
  refresh,
  startDevice,
  type TokenResponse,
} from './oauth-client.ts';
import { type CachedToken, cliHome, needsRefresh, readToken, writeToken } from './token-cache.ts';

// `gatehouse login` and `gatehouse credentials`: the person's side. They talk to a server over
// HTTP only (no database, no server configuration), so they work from any laptop.

const LOGIN_USAGE = `gatehouse login [--url URL]

Signs in with the device flow: open the link shown, check the code, sign in. The tokens are kept
in $GATEHOUSE_HOME (default ~/.gatehouse), readable by you only, and refreshed when needed.
The server is --url, or GATEHOUSE_URL.`;

const CREDENTIALS_USAGE = `gatehouse credentials --account ACCOUNT --role PERMISSION_SET [--url URL]

Prints short-lived credentials as credential_process JSON (Version 1) for the AWS CLI and SDKs:
  [profile dev]
  credential_process = gatehouse credentials --account 111122223333 --role Developer
ACCOUNT is the account id or name. Needs a prior gatehouse login.`;

function parseOptions<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const serverUrl = (context: CommandContext, flag: string | undefined): string => {
  const url = flag ?? context.io.env['GATEHOUSE_URL'];
  if (!url) throw new UsageError('the server is unknown: pass --url or set GATEHOUSE_URL');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url: ${url} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new UsageError('--url must be http(s)');
  return parsed.href.replace(/\/+$/, '');
};

const cached = (tokens: TokenResponse, tokenEndpoint: string, previous?: CachedToken): CachedToken => {
  const token: CachedToken = {
    accessToken: tokens.access_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
    tokenEndpoint,
  };
  const refreshToken = tokens.refresh_token ?? previous?.refreshToken;
  if (refreshToken) token.refreshToken = refreshToken;
  if (tokens.id_token) token.idToken = tokens.id_token;
  return token;
};

/** The options seam for tests: how to wait between polls. */
export const loginTiming = { sleep: (ms: number): Promise<unknown> => delay(ms) };

export const loginCommand: Command = {
  summary: 'sign in to a Gatehouse server with the device flow (for gatehouse credentials)',
  usage: LOGIN_USAGE,
  async run(args, context) {
    const values = parseOptions(args, { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      context.io.stdout(`${this.summary}\n\nusage: ${LOGIN_USAGE}`);
      return 0;
    }
    const server = serverUrl(context, values.url);
    const discovery = await discover(server);
    const device = await startDevice(discovery);
    context.io.stderr(
      `To sign in, open ${device.verification_uri_complete ?? device.verification_uri}\n` +
        `and check that it shows the code: ${device.user_code}`,
    );
    const tokens = await pollDevice(discovery, device, async (ms) => {
      await loginTiming.sleep(ms);
    });
    writeToken(cliHome(context.io.env), server, cached(tokens, discovery.token_endpoint));
    context.io.stderr(`Signed in to ${server}.`);
    return 0;
  },
};

/** The cached access token of the server, refreshed when it is close to expiry. */
export async function currentAccessToken(home: string, server: string): Promise<string> {
  const token = readToken(home, server);
  const again = `run gatehouse login --url ${server}`;
  if (!token) throw new GatehouseError('unauthenticated', 'cli.not_signed_in', `not signed in; ${again}`);
  if (!needsRefresh(token, Date.now())) return token.accessToken;
  if (!token.refreshToken)
    throw new GatehouseError('unauthenticated', 'cli.expired', `the sign-in expired; ${again}`);
  try {
    const next = cached(await refresh(token.tokenEndpoint, token.refreshToken), token.tokenEndpoint, token);
    writeToken(home, server, next);
    return next.accessToken;
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    writeToken(home, server, undefined);
    throw new GatehouseError(
      'unauthenticated',
      'cli.expired',
      `the sign-in expired (${error.error}); ${again}`,
    );
  }
}

const accountsSchema = z.object({
  accountList: z.array(z.object({ accountId: z.string(), accountName: z.string().optional() })),
  nextToken: z.string().optional(),
});
const credentialsSchema = z.object({
  roleCredentials: z.object({
    accessKeyId: z.string(),
    secretAccessKey: z.string(),
    sessionToken: z.string(),
    expiration: z.number(),
  }),
});

async function ssoCall<T>(server: string, token: string, path: string, schema: z.ZodType<T>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${server}/aws/sso${path}`, {
      headers: { 'x-amz-sso_bearer_token': token, accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new GatehouseError(
      'unavailable',
      'cli.unreachable',
      `cannot reach ${server}: ${(error as Error).message}`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as { message?: unknown };
  if (!response.ok) {
    const type = response.headers.get('x-amzn-errortype') ?? `HTTP ${response.status}`;
    const message = typeof body.message === 'string' ? body.message : '';
    throw new GatehouseError(
      response.status === 401 ? 'unauthenticated' : 'forbidden',
      'cli.refused',
      `${type}${message ? `: ${message}` : ''}`,
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new GatehouseError('unavailable', 'cli.bad_answer', `unexpected answer from ${path}`);
  return parsed.data;
}

/** An account named by id or by name, among the accounts the user holds. */
async function resolveAccount(server: string, token: string, account: string): Promise<string> {
  let next: string | undefined;
  const named: string[] = [];
  do {
    const query = next ? `?next_token=${encodeURIComponent(next)}` : '';
    const page = await ssoCall(server, token, `/assignment/accounts${query}`, accountsSchema);
    for (const a of page.accountList) {
      if (a.accountId === account) return a.accountId;
      if (a.accountName === account) named.push(a.accountId);
    }
    next = page.nextToken;
  } while (next);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw new UsageError(`more than one account is named ${account}; give its id`);
  throw new GatehouseError('forbidden', 'cli.no_account', `you have no access to an account ${account}`);
}

export const credentialsCommand: Command = {
  summary: 'print short-lived AWS credentials as credential_process JSON (--account A --role R)',
  usage: CREDENTIALS_USAGE,
  async run(args, context) {
    const values = parseOptions(args, {
      url: { type: 'string' },
      account: { type: 'string' },
      role: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      context.io.stdout(`${this.summary}\n\nusage: ${CREDENTIALS_USAGE}`);
      return 0;
    }
    if (!values.account) throw new UsageError('--account is required');
    if (!values.role) throw new UsageError('--role is required');
    const server = serverUrl(context, values.url);
    const token = await currentAccessToken(cliHome(context.io.env), server);
    const accountId = await resolveAccount(server, token, values.account);
    const query = new URLSearchParams({ account_id: accountId, role_name: values.role });
    const { roleCredentials } = await ssoCall(
      server,
      token,
      `/federation/credentials?${query}`,
      credentialsSchema,
    );
    context.io.stdout(
      JSON.stringify({
        Version: 1,
        AccessKeyId: roleCredentials.accessKeyId,
        SecretAccessKey: roleCredentials.secretAccessKey,
        SessionToken: roleCredentials.sessionToken,
        Expiration: new Date(roleCredentials.expiration).toISOString(),
      }),
    );
    return 0;
  },
};
