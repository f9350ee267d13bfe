import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'koa';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { deleteExpiredClients, secretMatches } from '../../src/clients/clients.ts';
import { recordGrantRevoked } from '../../src/clients/consent.ts';
import { deleteExpiredArtefacts, grantEnded } from '../../src/clients/grants.ts';
import type { Runtime } from '../../src/runtime.ts';
import type { StoreAdapter } from './adapter.ts';
import { clientCache } from './client-cache.ts';
import { type ConfigurationDeps, issuerOf, providerConfiguration } from './configuration.ts';
import { keysFingerprint, providerJwks } from './keys.ts';
import { endSession } from './portal.ts';

export interface OidcProvider {
  /** The provider of the current key set (a new instance after a key rotation). */
  current(): Provider;
  /** Hands a request to the provider; `url` is the path below /oidc. */
  handle(ctx: Context, url: string): Promise<void>;
}

/** The key set is compared with the provider's at most this often (rotation is rare). */
const KEY_CHECK_MS = 1_000;

/**
 * The OpenID provider of a node. oidc-provider takes its keys at construction, so when the key
 * ring changes (rotation, a staged key activating, a retired key leaving: all reach every node
 * through the key ring's reload) the next request builds a new provider over the same storage;
 * requests in flight finish on the old one. Nothing else lives in the instance.
 */
export function createOidcProvider(runtime: Runtime): OidcProvider {
  const clients = clientCache(runtime.db, (error) =>
    runtime.log.warn({ err: (error as Error).message }, 'oidc: client change notifications unavailable'),
  );
  const appContexts = new WeakMap<IncomingMessage, Context>();
  const logouts = new WeakSet<IncomingMessage>();
  // Writes started by provider events; the response waits for them, so a client told "revoked"
  // can rely on the ended grant and its audit entry being recorded.
  const pending = new WeakMap<IncomingMessage, Promise<unknown>[]>();
  const settle = (req: IncomingMessage, work: Promise<unknown>): void => {
    const list = pending.get(req);
    if (list) list.push(work);
    else pending.set(req, [work]);
  };
  const deps: ConfigurationDeps = {
    runtime,
    clients: clients.lookup,
    appContext: (ctx: KoaContextWithOIDC) => appContexts.get(ctx.req),
  };

  const build = (): Provider => {
    const configuration = providerConfiguration(deps, providerJwks(runtime.keys));
    const store = configuration.adapter as StoreAdapter;
    const provider = new Provider(issuerOf(runtime.config.url), configuration);
    provider.proxy = runtime.config.http.trustProxy;
    // Client secrets are stored as SHA-256 hashes: compare the hash of what was presented.
    (
      provider.Client.prototype as unknown as { compareClientSecret(s: string): boolean }
    ).compareClientSecret = function (this: { clientSecret?: string }, presented: string) {
      return secretMatches(this.clientSecret ?? null, presented);
    };
    provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) =>
      runtime.log.error(
        { err, reqId: ctx.res.getHeader('x-request-id'), path: ctx.path },
        'oidc provider error',
      ),
    );
    provider.on('end_session.success', (ctx: KoaContextWithOIDC) => logouts.add(ctx.req));
    // The tokens a response carries are stored before it leaves (adapter.ts defers their writes),
    // as are the writes of provider events. Signing out through the provider (RP-initiated logout)
    // ends the portal session too, before the response leaves (its cookie is cleared in it).
    provider.use(async (ctx, next) => {
      store.begin(ctx);
      let refused: { status: number; body: object } | undefined;
      try {
        await next();
      } finally {
        await Promise.all([
          store.flush(ctx).catch((error: unknown) => {
            // Another request used the same code or refresh token first: its tokens are not stored.
            if (error instanceof errors.InvalidGrant) {
              refused = {
                status: 400,
                body: { error: error.error, error_description: error.error_description },
              };
              return;
            }
            runtime.log.error(
              { err: (error as Error).message, reqId: ctx.res.getHeader('x-request-id') },
              'oidc: tokens not stored',
            );
            refused = {
              status: 500,
              body: { error: 'server_error', error_description: 'oops! something went wrong' },
            };
          }),
          ...(pending.get(ctx.req) ?? []),
        ]);
      }
      if (refused) {
        // Tokens that are not stored would not work: the client gets the provider's error instead.
        ctx.status = refused.status;
        ctx.body = refused.body;
        return;
      }
      const app = appContexts.get(ctx.req);
      if (app && logouts.has(ctx.req)) await endSession(runtime, app);
    });
    // Logout, token revocation, refresh-token reuse: what was obtained with the grant dies too.
    provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
      const route = ctx.oidc?.route;
      runtime.log.info({ grantId, route }, 'oidc grant revoked');
      const userId = ctx.oidc?.session?.accountId ?? ctx.oidc?.entities?.Account?.accountId;
      const ended = runtime.db
        .transaction((tx) => grantEnded(tx, grantId, userId, 'oidc_revoked'))
        .catch((error: unknown) =>
          runtime.log.error(
            { err: (error as Error).message, grantId },
            'oidc: could not record the ended grant',
          ),
        );
      const audited = recordGrantRevoked(runtime.db, {
        grantId,
        clientId: ctx.oidc?.client?.clientId,
        route,
      }).catch((error: unknown) =>
        runtime.log.warn({ err: (error as Error).message }, 'audit of a grant revocation failed'),
      );
      settle(ctx.req, Promise.all([ended, audited]));
    });
    provider.on('backchannel.error', (_ctx: KoaContextWithOIDC, err: Error, client: { clientId: string }) =>
      runtime.log.warn({ err: err.message, clientId: client.clientId }, 'back-channel logout failed'),
    );
    return provider;
  };

  let fingerprint = keysFingerprint(runtime.keys);
  let provider = build();
  let callback = provider.callback();
  let checkedAt = Date.now();
  const current = (): Provider => {
    if (Date.now() - checkedAt >= KEY_CHECK_MS) {
      checkedAt = Date.now();
      const next = keysFingerprint(runtime.keys);
      if (next !== fingerprint) {
        fingerprint = next;
        provider = build();
        callback = provider.callback();
        runtime.log.info('oidc provider reloaded with the new key set');
      }
    }
    return provider;
  };

  // Expired rows are never read (the adapter filters them and refuses expired clients); this only
  // keeps the tables small.
  setInterval(() => {
    Promise.all([deleteExpiredArtefacts(runtime.db), deleteExpiredClients(runtime.db)]).catch(
      (error: unknown) => runtime.log.warn({ err: (error as Error).message }, 'oidc clean-up failed'),
    );
  }, runtime.config.oidc.cleanupInterval).unref();

  return {
    current,
    async handle(ctx, url) {
      current();
      const req = ctx.req as IncomingMessage & { originalUrl?: string };
      appContexts.set(req, ctx);
      // The provider works out its mount point from originalUrl minus url.
      req.originalUrl = req.url;
      req.url = url;
      ctx.respond = false;
      await (callback as (req: IncomingMessage, res: ServerResponse) => Promise<void>)(req, ctx.res);
    },
  };
}
