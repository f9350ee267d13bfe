import type { Context } from 'koa';
import {
  type Configuration,
  type ExternalSigningKey,
  errors,
  type Grant,
  interactionPolicy,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import { allowedApiScopes, personApiScopes } from '../../src/clients/api-access.ts';
import { canUseClient } from '../../src/clients/client-access.ts';
import { OIDC_SCOPES } from '../../src/clients/schemas.ts';
import { findUser } from '../../src/directory/users.ts';
import { deriveKey } from '../../src/keys/seal.ts';
import type { Runtime } from '../../src/runtime.ts';
import { ACR_MFA } from '../../src/sessions/assurance.ts';
import { accountFinder, CLAIMS } from './account.ts';
import { adapterFactory, type ClientLookup } from './adapter.ts';
import { EXTRA_METADATA } from './client-metadata.ts';
import { pages } from './pages.ts';
import { currentSession } from './portal.ts';

export const OIDC_PREFIX = '/oidc';
export const issuerOf = (baseUrl: string) => `${baseUrl}${OIDC_PREFIX}`;
/** The resource indicator (RFC 8707) of Gatehouse's admin API: tokens for it are JWTs. */
export const apiResourceOf = (baseUrl: string) => `${baseUrl}/api`;

export interface ConfigurationDeps {
  runtime: Runtime;
  clients: ClientLookup;
  /** The application's Koa context of a provider request (portal session, CSRF, request id). */
  appContext(ctx: KoaContextWithOIDC): Context | undefined;
}

/** Gatehouse's extra client metadata, as the provider's client instances carry it (as named). */
interface GatehouseClient {
  gatehouse_first_party?: boolean;
  gatehouse_api_scopes?: string[];
  gatehouse_access_token_ttl?: number | null;
  gatehouse_refresh_token_ttl?: number | null;
}
const extras = (client: unknown) => (client ?? {}) as GatehouseClient;

/**
 * The admin API scopes a person may be granted for the API resource: only what they hold
 * (members of gatehouse-admins), and only from a portal session that used a second factor.
 */
export async function grantableApiScopes(
  runtime: Runtime,
  app: Context | undefined,
  accountId: string,
  requested: readonly string[],
): Promise<string[]> {
  const session = app && (await currentSession(runtime, app));
  if (!session?.mfa || session.userId !== accountId) return [];
  const user = await findUser(runtime.db, accountId);
  if (!user) return [];
  return allowedApiScopes(
    requested,
    await personApiScopes(runtime.db, user, runtime.config.administrators.group),
  );
}

/** Adds what was asked for to a grant (OIDC scopes, and the resource scopes the person may hold). */
export async function extendGrant(
  runtime: Runtime,
  app: Context | undefined,
  grant: Grant,
  details: { oidcScopes: string[]; claims: string[]; resourceScopes: Record<string, string[]> },
): Promise<void> {
  if (details.oidcScopes.length) grant.addOIDCScope(details.oidcScopes.join(' '));
  if (details.claims.length) grant.addOIDCClaims(details.claims);
  const api = apiResourceOf(runtime.config.url);
  for (const [resource, scopes] of Object.entries(details.resourceScopes)) {
    const allowed = resource === api ? await grantableApiScopes(runtime, app, grant.accountId!, scopes) : [];
    if (allowed.length) grant.addResourceScope(resource, allowed.join(' '));
    // What the person may not hold is refused, not asked again: the client gets the rest.
    const refused = scopes.filter((s) => !allowed.includes(s));
    if (refused.length) grant.rejectResourceScope(resource, refused.join(' '));
  }
}

/** oidc-provider's configuration: what Gatehouse enables, and where it plugs in its own parts. */
export function providerConfiguration(
  deps: ConfigurationDeps,
  jwks: { keys: ExternalSigningKey[] },
): Configuration {
  const { runtime } = deps;
  const { config, db } = runtime;
  const seconds = (ms: number) => Math.round(ms / 1000);
  const api = apiResourceOf(config.url);
  const https = config.url.startsWith('https:');

  // Login is needed whenever the portal session is gone or belongs to someone else: the portal
  // session is the one place a person is signed in, the provider's own session follows it.
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(
    new interactionPolicy.Check(
      'portal_session',
      'the portal session ended or belongs to another user',
      async (ctx) => {
        if (ctx.oidc.result?.['login']) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const app = deps.appContext(ctx);
        const session = app && (await currentSession(runtime, app));
        const fine =
          session !== undefined &&
          session.userId === ctx.oidc.session?.accountId &&
          (await canUseClient(db, session.userId, ctx.oidc.client!.clientId));
        return fine ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
      },
    ),
  );

  return {
    adapter: adapterFactory(db, deps.clients),
    jwks: jwks as Configuration['jwks'],
    findAccount: accountFinder(db, {
      revocation: runtime.revocation,
      directory: { db, connectors: runtime.connectors },
    }),
    claims: CLAIMS,
    scopes: [...OIDC_SCOPES],
    responseTypes: ['code'],
    subjectTypes: ['public'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    extraClientMetadata: { properties: EXTRA_METADATA },
    // Asymmetric only: client secrets are stored hashed and can serve as no key.
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256', 'EdDSA'],
      userinfoSigningAlgValues: ['ES256', 'RS256', 'EdDSA'],
      introspectionSigningAlgValues: ['ES256', 'RS256', 'EdDSA'],
      authorizationSigningAlgValues: ['ES256', 'RS256', 'EdDSA'],
      requestObjectSigningAlgValues: ['ES256', 'RS256', 'EdDSA'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'EdDSA'],
    },
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    cookies: {
      // The provider's own cookies (interaction, its session) are signed with a key derived from
      // the master key: every node derives the same one.
      keys: [deriveKey(runtime.masterKey, 'oidc-cookies').toString('base64url')],
      long: { signed: true, httpOnly: true, sameSite: 'lax', secure: https },
      short: { signed: true, httpOnly: true, sameSite: 'lax', secure: https },
    },
    ttl: {
      AccessToken: (_ctx, _token, client) =>
        extras(client).gatehouse_access_token_ttl ?? seconds(config.oidc.accessTokenTtl),
      ClientCredentials: (_ctx, _token, client) =>
        extras(client).gatehouse_access_token_ttl ?? seconds(config.oidc.accessTokenTtl),
      IdToken: seconds(config.oidc.idTokenTtl),
      RefreshToken: (_ctx, _token, client) =>
        extras(client).gatehouse_refresh_token_ttl ?? seconds(config.oidc.refreshTokenTtl),
      Grant: seconds(config.oidc.refreshTokenTtl),
      AuthorizationCode: 60,
      DeviceCode: 600,
      Interaction: 3600,
      Session: seconds(config.sessions.absolute),
    },
    // Every refresh gets a new refresh token; presenting a used one again revokes the grant.
    rotateRefreshToken: () => true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Refresh tokens outlive the browser session that started them (CLIs, servers); revocation
    // of the person (revokeAccountTokens) and logout end them.
    expiresWithSession: async () => false,
    async loadExistingGrant(ctx) {
      const grantId =
        (ctx.oidc.result?.['consent'] as { grantId?: string } | undefined)?.grantId ??
        ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!extras(ctx.oidc.client).gatehouse_first_party) return existing;
      // First-party clients skip consent: what they ask for (within their registered scopes and
      // what the person may hold) is granted.
      const grant =
        existing ??
        new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client!.clientId,
          accountId: ctx.oidc.account!.accountId,
        });
      const requested = [...ctx.oidc.requestParamScopes];
      const held = (g: Grant) => JSON.stringify([g.openid, g.resources, g.rejected]);
      const before = existing && held(existing);
      await extendGrant(runtime, deps.appContext(ctx), grant, {
        oidcScopes: [...ctx.oidc.requestParamOIDCScopes],
        claims: [],
        resourceScopes: Object.fromEntries(
          Object.keys(ctx.oidc.resourceServers ?? {}).map((r) => [r, requested]),
        ),
      });
      // A stored grant that already holds all of it is not written again (each sign-in would).
      if (held(grant) !== before) await grant.save();
      return grant;
    },
    extraTokenClaims: async (ctx, token) => ({
      gatehouse_principal: 'accountId' in token && token.accountId ? 'user' : 'client',
      // The grant the token belongs to: the admin API refuses it once the grant ended (logout).
      ...('grantId' in token && typeof token.grantId === 'string' ? { gatehouse_grant: token.grantId } : {}),
      // Whether the sign-in behind the token used a second factor (aws:MultiFactorAuthPresent of
      // credentials obtained with it over /aws/sso).
      gatehouse_mfa:
        (
          ctx.oidc.entities.DeviceCode ??
          ctx.oidc.entities.AuthorizationCode ??
          ctx.oidc.entities.RefreshToken
        )?.acr === ACR_MFA,
    }),
    interactions: {
      url: (_ctx, interaction) => `${OIDC_PREFIX}/interaction/${interaction.uid}`,
      policy,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A confidential client may introspect any token; a public one only its own.
        allowedPolicy: async (ctx, client, token) =>
          client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: pages.logout,
        postLogoutSuccessSource: pages.loggedOut,
      },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: pages.deviceInput,
        userCodeConfirmSource: pages.deviceConfirm,
        successSource: pages.deviceDone,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource, client) => {
          // Only the admin API is a resource, for clients registered with some of its scopes.
          const scopes = extras(client).gatehouse_api_scopes ?? [];
          if (resource !== api || scopes.length === 0) throw new errors.InvalidTarget();
          return {
            scope: scopes.join(' '),
            audience: api,
            accessTokenTTL: extras(client).gatehouse_access_token_ttl ?? seconds(config.oidc.accessTokenTtl),
            accessTokenFormat: 'jwt',
            // Signed like the client's ID tokens (ES256 unless it asked for RS256 or EdDSA).
            jwt: { sign: { alg: (client.idTokenSignedResponseAlg ?? 'ES256') as 'ES256' } },
          };
        },
      },
      dPoP: { enabled: false },
      // Keys sign through the key ring (keys.ts); the feature's version is pinned by its ack.
      externalSigningSupport: { enabled: true, ack: 'experimental-01' },
    },
    clientBasedCORS: (_ctx, origin, client) =>
      // Browser applications (public clients) may call the token and userinfo endpoints.
      client.clientAuthMethod === 'none' &&
      client.redirectUris!.some((uri) => URL.parse(uri)?.origin === origin),
    renderError: pages.error,
    // Outgoing calls (back-channel logout) go only to URIs an administrator registered, and
    // internal applications on private addresses are the normal case: the provider's block of
    // special-use addresses (aimed at dynamically registered clients) is left out.
    fetch: (url, options) => {
      const { dispatcher: _, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return fetch(url, rest);
    },
  };
}
