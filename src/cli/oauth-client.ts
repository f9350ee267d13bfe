import { z } from 'zod';
import { GatehouseError } from '../errors.ts';

// The CLI's side of OAuth against Gatehouse's OpenID provider: discovery, device authorization
// (RFC 8628) and refresh. Plain fetch; every answer is validated before use.

/** The first-party public client the CLI signs in as (ensured by the server at start). */
export const CLI_CLIENT_ID = 'gatehouse-cli';
export const CLI_SCOPES = 'openid profile offline_access';

const discoverySchema = z.object({
  token_endpoint: z.string().url(),
  device_authorization_endpoint: z.string().url(),
});
const deviceSchema = z.object({
  device_code: z.string().min(1),
  user_code: z.string().min(1),
  verification_uri: z.string().url(),
  verification_uri_complete: z.string().url().optional(),
  expires_in: z.number(),
  interval: z.number().optional(),
});
const tokenSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().optional(),
  id_token: z.string().optional(),
  expires_in: z.number(),
});
const oauthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

export type Discovery = z.infer<typeof discoverySchema>;
export type DeviceStart = z.infer<typeof deviceSchema>;
export type TokenResponse = z.infer<typeof tokenSchema>;

/** An OAuth error answer (`authorization_pending`, `invalid_grant`, …). */
export class OAuthError extends Error {
  readonly error: string;
  constructor(error: string, description: string | undefined) {
    super(description ? `${error}: ${description}` : error);
    this.name = 'OAuthError';
    this.error = error;
  }
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new GatehouseError(
      'unavailable',
      'cli.unreachable',
      `cannot reach ${url}: ${(error as Error).message}`,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatehouseError('unavailable', 'cli.bad_answer', `${url} answered ${response.status}, not JSON`);
  }
  if (!response.ok) {
    const oauth = oauthErrorSchema.safeParse(body);
    if (oauth.success) throw new OAuthError(oauth.data.error, oauth.data.error_description);
    throw new GatehouseError('unavailable', 'cli.bad_answer', `${url} answered ${response.status}`);
  }
  return body;
}

function parsed<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new GatehouseError('unavailable', 'cli.bad_answer', `unexpected ${what} answer`);
  return result.data;
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams(fields).toString(),
});

export async function discover(server: string): Promise<Discovery> {
  const url = `${server}/oidc/.well-known/openid-configuration`;
  return parsed(discoverySchema, await call(url, { headers: { accept: 'application/json' } }), 'discovery');
}

export async function startDevice(discovery: Discovery): Promise<DeviceStart> {
  const body = await call(
    discovery.device_authorization_endpoint,
    form({ client_id: CLI_CLIENT_ID, scope: CLI_SCOPES }),
  );
  return parsed(deviceSchema, body, 'device authorization');
}

export async function pollDevice(
  discovery: Discovery,
  device: DeviceStart,
  sleep: (ms: number) => Promise<void>,
  now: () => number = Date.now,
): Promise<TokenResponse> {
  let interval = (device.interval ?? 5) * 1000;
  const deadline = now() + device.expires_in * 1000;
  while (now() < deadline) {
    await sleep(interval);
    try {
      const body = await call(
        discovery.token_endpoint,
        form({
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: device.device_code,
          client_id: CLI_CLIENT_ID,
        }),
      );
      return parsed(tokenSchema, body, 'token');
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      if (error.error === 'authorization_pending') continue;
      if (error.error === 'slow_down') {
        interval += 5000;
        continue;
      }
      if (error.error === 'access_denied')
        throw new GatehouseError('forbidden', 'cli.denied', 'sign-in was denied');
      if (error.error === 'expired_token') break;
      throw error;
    }
  }
  throw new GatehouseError(
    'unauthenticated',
    'cli.expired',
    'the code expired before sign-in finished; run gatehouse login again',
  );
}

export async function refresh(tokenEndpoint: string, refreshToken: string): Promise<TokenResponse> {
  const body = await call(
    tokenEndpoint,
    form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLI_CLIENT_ID }),
  );
  return parsed(tokenSchema, body, 'token');
}
