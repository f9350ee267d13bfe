import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import { CLI_CLIENT_ID, ensureCliClient } from '../../src/clients/cli-client.ts';
import { createClient, findClient } from '../../src/clients/clients.ts';
import { revokeGrant } from '../../src/clients/grants.ts';
import { DEVICE_CODE_GRANT, type GrantType } from '../../src/clients/schemas.ts';
import { GatehouseError, isGatehouseError } from '../../src/errors.ts';
import { tokenBuckets } from '../../src/rate-limit.ts';
import type { Runtime } from '../../src/runtime.ts';
import { OIDC_PREFIX } from '../oidc/configuration.ts';
import type { OidcProvider } from '../oidc/provider.ts';
import { requestIdOf } from './errors.ts';
import { inject } from './inject.ts';
import { ssoOidcError, ssoOidcErrorForOAuth } from './json.ts';
import { pollPace } from './poll-pace.ts';
import type { BearerTokens } from './sso-backend.ts';
import type { SsoOidcBackend, TokenSet } from './sso-oidc.ts';

// The AWS SSO OIDC API translated onto Gatehouse's OpenID provider: a client registered over
// /aws/sso-oidc is a Gatehouse OAuth client (id `aws-…`), its device codes, codes, access and
// refresh tokens are the provider's own, stored by its adapter. So the device pages, refresh
// rotation, reuse detection and revocation of a person (which deletes their rows) apply as they
// do to any client, and there is one token system.

/** Registered AWS clients' ids start with this: their tokens are accepted by /aws/sso. */
export const AWS_CLIENT_PREFIX = 'aws-';
/** What an AWS client may ask for: the person's identity and a refresh token. */
const AWS_SCOPES = ['openid', 'profile', 'offline_access'] as const;
/** As at AWS, a registration (and its secret) lasts 90 days; then the CLI registers again. */
const SECRET_LIFETIME_S = 90 * 86_400;

const tokenAnswer = z.object({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number(),
  refresh_token: z.string().optional(),
  id_token: z.string().optional(),
});
const deviceAnswer = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number(),
  interval: z.number().optional(),
});
const oauthError = z.object({ error: z.string(), error_description: z.string().optional() });

const sanitiseName = (name: string) =>
  `AWS: ${name.replace(/\p{Cc}/gu, ' ').trim() || 'client'}`.slice(0, 128);

export interface OidcBridge extends SsoOidcBackend, BearerTokens {
  /** Whether ID tokens of this client may be exchanged at STS: first-party clients only. */
  trustedAudience(clientId: string): Promise<boolean>;
  /** Creates the CLI's first-party public client when it is missing (every node, at start). */
  ensureCliClient(): Promise<void>;
}

/** oidc-provider's device-code polling interval (it announces 5 s). */
const DEVICE_INTERVAL_S = 5;

export function oidcBridge(runtime: Runtime, oidc: OidcProvider): OidcBridge {
  const pace = pollPace(DEVICE_INTERVAL_S * 1000);
  const perMinute = runtime.config.aws.registrationsPerMinute;
  const registrations = tokenBuckets({ rate: perMinute / 60, burst: perMinute * 3 });
  const callbacks = new WeakMap<Provider, (req: IncomingMessage, res: ServerResponse) => unknown>();
  const callbackOf = (provider: Provider) => {
    let callback = callbacks.get(provider);
    if (!callback) {
      callback = provider.callback() as (req: IncomingMessage, res: ServerResponse) => unknown;
      callbacks.set(provider, callback);
    }
    return callback;
  };

  /** POSTs a form to one of the provider's endpoints, as the caller's request would have. */
  async function post(ctx: Context, path: string, fields: Record<string, string | undefined>) {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.set(name, value);
    const headers: Record<string, string> = {
      host: ctx.get('host'),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      'x-request-id': requestIdOf(ctx),
    };
    for (const name of ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'])
      if (ctx.get(name)) headers[name] = ctx.get(name);
    const answer = await inject(callbackOf(oidc.current()), {
      method: 'POST',
      url: path,
      originalUrl: `${OIDC_PREFIX}${path}`,
      headers,
      body: form.toString(),
      remoteAddress: ctx.req.socket.remoteAddress ?? '127.0.0.1',
      secure: (ctx.req.socket as { encrypted?: boolean }).encrypted === true,
    });
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      body = undefined;
    }
    if (answer.status >= 400) {
      const error = oauthError.safeParse(body);
      if (!error.success)
        throw new GatehouseError('unavailable', 'aws.oidc_failed', 'the token service failed');
      throw ssoOidcErrorForOAuth(error.data.error, error.data.error_description ?? error.data.error);
    }
    return body;
  }

  return {
    async registerClient(input, ctx) {
      const asked = new Set(input.grantTypes ?? []);
      const grantTypes: GrantType[] = [DEVICE_CODE_GRANT, 'refresh_token'];
      const redirectUris = input.redirectUris ?? [];
      if (asked.has('authorization_code') || redirectUris.length) grantTypes.push('authorization_code');
      for (const grant of asked) {
        if (!['authorization_code', 'refresh_token', DEVICE_CODE_GRANT].includes(grant))
          throw ssoOidcError('InvalidClientMetadataException', `grant type ${grant} is not supported`);
      }
      const wait = registrations.take(ctx.ip);
      if (wait !== undefined) {
        ctx.set('Retry-After', String(wait));
        throw new GatehouseError(
          'rate_limited',
          'aws.registrations_limited',
          `too many client registrations from this address; retry in ${wait} s`,
        );
      }
      const context = { actor: 'anonymous', ip: ctx.ip, requestId: requestIdOf(ctx) };
      try {
        const client = await runtime.db.transaction((tx) =>
          createClient(
            tx,
            context,
            {
              clientId: `${AWS_CLIENT_PREFIX}${crypto.randomUUID()}`,
              name: sanitiseName(input.clientName),
              applicationType: 'native',
              redirectUris,
              grantTypes,
              scopes: [...AWS_SCOPES],
              firstParty: false,
              tokenEndpointAuthMethod: 'client_secret_post',
            },
            { expiresAt: new Date(Date.now() + SECRET_LIFETIME_S * 1000) },
          ),
        );
        return {
          clientId: client.clientId,
          clientSecret: client.clientSecret!,
          clientIdIssuedAt: Math.floor(client.createdAt.getTime() / 1000),
          clientSecretExpiresAt: Math.floor(client.expiresAt!.getTime() / 1000),
        };
      } catch (error) {
        if (isGatehouseError(error) && error.kind === 'invalid') {
          const redirect = JSON.stringify(error.details ?? {}).includes('redirectUris');
          throw ssoOidcError(
            redirect ? 'InvalidRedirectUriException' : 'InvalidClientMetadataException',
            error.message,
          );
        }
        throw error;
      }
    },

    async startDeviceAuthorization(input, ctx) {
      const answer = deviceAnswer.parse(
        await post(ctx, '/device/auth', {
          client_id: input.clientId,
          client_secret: input.clientSecret,
          scope: AWS_SCOPES.join(' '),
        }),
      );
      return {
        deviceCode: answer.device_code,
        userCode: answer.user_code,
        verificationUri: answer.verification_uri,
        verificationUriComplete: answer.verification_uri_complete,
        expiresIn: answer.expires_in,
        interval: answer.interval ?? DEVICE_INTERVAL_S,
      };
    },

    async createToken(input, ctx) {
      const fields: Record<string, string | undefined> = {
        grant_type: input.grantType,
        client_id: input.clientId,
        client_secret: input.clientSecret,
      };
      if (input.grantType === DEVICE_CODE_GRANT) {
        fields['device_code'] = input.deviceCode ?? '';
        if (pace.tooSoon(`${input.clientId}\n${fields['device_code']}`))
          throw ssoOidcError('SlowDownException', 'polling too fast; wait the interval between requests');
      } else if (input.grantType === 'refresh_token') fields['refresh_token'] = input.refreshToken ?? '';
      else if (input.grantType === 'authorization_code') {
        fields['code'] = input.code ?? '';
        fields['redirect_uri'] = input.redirectUri;
        fields['code_verifier'] = input.codeVerifier;
      } else
        throw ssoOidcError('UnsupportedGrantTypeException', `grant type ${input.grantType} is not supported`);
      const answer = tokenAnswer.parse(await post(ctx, '/token', fields));
      const tokens: TokenSet = {
        accessToken: answer.access_token,
        tokenType: answer.token_type,
        expiresIn: answer.expires_in,
      };
      if (answer.refresh_token) tokens.refreshToken = answer.refresh_token;
      if (answer.id_token) tokens.idToken = answer.id_token;
      return tokens;
    },

    async authorize(query) {
      // The AWS CLI's browser flow: AWS names the scopes `scopes`; Gatehouse grants its own.
      const target = new URLSearchParams({ response_type: 'code', scope: AWS_SCOPES.join(' ') });
      for (const name of ['client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method']) {
        const value = query.get(name);
        if (value !== null) target.set(name, value);
      }
      if (!target.has('client_id') || !target.has('redirect_uri'))
        throw ssoOidcError('InvalidRequestException', 'client_id and redirect_uri are required');
      return `${runtime.config.url}${OIDC_PREFIX}/auth?${target}`;
    },

    async session(token) {
      const found = await oidc.current().AccessToken.find(token);
      if (!found?.accountId || found.isExpired) return undefined;
      const clientId = found.clientId ?? '';
      if (!clientId.startsWith(AWS_CLIENT_PREFIX) && clientId !== CLI_CLIENT_ID) return undefined;
      const revoked = runtime.revocation.check({
        userId: found.accountId,
        issuedAt: (found.iat ?? 0) * 1000,
        ...(found.grantId ? { sessionId: found.grantId } : {}),
      });
      if (revoked === 'stale')
        throw new GatehouseError('unavailable', 'revocation.stale', 'sessions cannot be checked right now');
      if (revoked !== undefined) return undefined;
      const extra = (found.extra ?? {}) as { gatehouse_mfa?: unknown };
      return {
        userId: found.accountId,
        mfa: extra.gatehouse_mfa === true,
        tokenId: found.jti,
        ...(found.grantId ? { grantId: found.grantId } : {}),
      };
    },

    async revoke(session, context) {
      // The whole grant: the access token, its refresh tokens, the device code behind them.
      if (session.grantId) {
        const grantId = session.grantId;
        await runtime.db.transaction((tx) =>
          revokeGrant(tx, context, session.userId, grantId, 'aws sso logout'),
        );
      } else await (await oidc.current().AccessToken.find(session.tokenId))?.destroy();
    },

    async trustedAudience(clientId) {
      const client = await findClient(runtime.db, clientId);
      return client?.firstParty === true;
    },

    ensureCliClient: () => ensureCliClient(runtime.db),
  };
}
