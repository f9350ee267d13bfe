import { z } from 'zod';
import { SCOPES } from '../tokens/scopes.ts';

/** Grant types a client may be registered for (RFC 6749, RFC 8628). */
export const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
export const DEVICE_CODE_GRANT: GrantType = 'urn:ietf:params:oauth:grant-type:device_code';

/** OpenID Connect scopes, then the admin API scopes (for tokens whose audience is Gatehouse's API). */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'] as const;
export const CLIENT_SCOPES = [...OIDC_SCOPES, ...SCOPES] as const;
export const ID_TOKEN_ALGS = ['ES256', 'RS256', 'EdDSA'] as const;

export const clientIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    'letters, digits, ".", "_" and "-" (1 to 128), first a letter or digit',
  )
  .describe('the OAuth client_id');

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^\P{Cc}*$/u, 'must not contain control characters');

/** An absolute redirect URI: no fragment, https (or http to a loopback address), or a private-use scheme. */
const redirectUri = z
  .string()
  .max(2048)
  .refine((value) => redirectUriProblem(value) === undefined, {
    error: (issue) => redirectUriProblem(String(issue.input)) ?? 'invalid redirect URI',
  });

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function redirectUriProblem(value: string): string | undefined {
  const url = URL.parse(value);
  if (!url) return 'must be an absolute URI';
  if (url.hash || value.includes('#')) return 'must not have a fragment';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:')
    return LOOPBACK.has(url.hostname) ? undefined : 'http is allowed only to loopback addresses; use https';
  // Private-use URI schemes of native applications (RFC 8252 §7.1): reverse domain names.
  if (/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) return undefined;
  return 'must use https, http to a loopback address, or a reverse-domain private-use scheme';
}

const lifetime = (min: number, max: number) => z.number().int().min(min).max(max).nullable();

const clientFields = {
  name: text(128).describe('shown on consent and device pages'),
  applicationType: z
    .enum(['web', 'native'])
    .describe('native: desktop or CLI applications; loopback redirect URIs match on any port (RFC 8252)'),
  redirectUris: z.array(redirectUri).max(32).describe('exact redirect URIs'),
  postLogoutRedirectUris: z.array(redirectUri).max(32),
  grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).max(GRANT_TYPES.length),
  scopes: z
    .array(z.enum(CLIENT_SCOPES))
    .max(CLIENT_SCOPES.length)
    .describe('the scopes the client may ask for'),
  firstParty: z.boolean().describe('first-party clients skip the consent page'),
  backchannelLogoutUri: redirectUri.nullable().describe('receives a logout token when a session ends'),
  idTokenAlg: z.enum(ID_TOKEN_ALGS).describe('ID token signature algorithm (default ES256)'),
  tokenEndpointAuthMethod: z
    .enum(['client_secret_basic', 'client_secret_post'])
    .describe('how a confidential client sends its secret (public clients: none)'),
  accessTokenTtl: lifetime(60, 86_400).describe(
    'access token lifetime in seconds (default: the server setting)',
  ),
  refreshTokenTtl: lifetime(300, 366 * 86_400).describe(
    'refresh token lifetime in seconds (default: the server setting)',
  ),
};

export const createClientSchema = z.strictObject({
  clientId: clientIdSchema.optional().describe('chosen id; generated when left out'),
  public: z
    .boolean()
    .default(false)
    .describe('a public client has no secret (browser or native application); it must use PKCE'),
  name: clientFields.name,
  applicationType: clientFields.applicationType.default('web'),
  redirectUris: clientFields.redirectUris.default([]),
  postLogoutRedirectUris: clientFields.postLogoutRedirectUris.default([]),
  grantTypes: clientFields.grantTypes.default(['authorization_code', 'refresh_token']),
  scopes: clientFields.scopes.default(['openid', 'profile', 'email']),
  firstParty: clientFields.firstParty.default(false),
  backchannelLogoutUri: clientFields.backchannelLogoutUri.default(null),
  idTokenAlg: clientFields.idTokenAlg.default('ES256'),
  tokenEndpointAuthMethod: clientFields.tokenEndpointAuthMethod.default('client_secret_basic'),
  accessTokenTtl: clientFields.accessTokenTtl.default(null),
  refreshTokenTtl: clientFields.refreshTokenTtl.default(null),
});
export type CreateClientInput = z.input<typeof createClientSchema>;
export type ClientSettings = Omit<z.output<typeof createClientSchema>, 'clientId' | 'public'>;

export const updateClientSchema = z.strictObject({
  name: clientFields.name.optional(),
  applicationType: clientFields.applicationType.optional(),
  redirectUris: clientFields.redirectUris.optional(),
  postLogoutRedirectUris: clientFields.postLogoutRedirectUris.optional(),
  grantTypes: clientFields.grantTypes.optional(),
  scopes: clientFields.scopes.optional(),
  firstParty: clientFields.firstParty.optional(),
  backchannelLogoutUri: clientFields.backchannelLogoutUri.optional(),
  idTokenAlg: clientFields.idTokenAlg.optional(),
  tokenEndpointAuthMethod: clientFields.tokenEndpointAuthMethod.optional(),
  accessTokenTtl: clientFields.accessTokenTtl.optional(),
  refreshTokenTtl: clientFields.refreshTokenTtl.optional(),
});
export type UpdateClientInput = z.input<typeof updateClientSchema>;

/** Problems of a whole client (fields that only make sense together), as `{path, message}`. */
export function clientProblems(
  settings: ClientSettings,
  isPublic: boolean,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const grants = new Set(settings.grantTypes);
  if (grants.has('authorization_code') && settings.redirectUris.length === 0)
    problems.push({ path: 'redirectUris', message: 'authorization_code needs at least one redirect URI' });
  if (grants.has('client_credentials') && isPublic)
    problems.push({
      path: 'grantTypes',
      message: 'client_credentials needs a confidential client (with a secret)',
    });
  if (grants.has('refresh_token') && !grants.has('authorization_code') && !grants.has(DEVICE_CODE_GRANT))
    problems.push({
      path: 'grantTypes',
      message: 'refresh_token goes with authorization_code or the device code grant',
    });
  if (settings.applicationType === 'web') {
    settings.redirectUris.forEach((uri, i) => {
      if (!/^https?:/.test(uri))
        problems.push({ path: `redirectUris.${i}`, message: 'private-use schemes are for native clients' });
    });
  }
  return problems;
}
