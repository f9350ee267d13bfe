import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Runtime } from '../../src/runtime.ts';
import { samlRevocation } from './revocation.ts';
import type { SamlOptions } from './routes.ts';

/** The SAML identity provider's front door: its routes, and what ends at SPs when a user is revoked. */
export function samlFrontDoor(runtime: Runtime, options: SamlOptions): Router {
  runtime.consequences.add('saml-logout', samlRevocation(runtime));
  return lazySamlRoutes(runtime, options);
}

/**
 * The SAML routes, loaded on the first request under /saml: samlify, xml-crypto and the
 * WebAssembly validator cost ~0.7 s of CPU to import, which every start (and every CLI command)
 * would otherwise pay whether or not anyone uses SAML.
 */
export function lazySamlRoutes(runtime: Runtime, options: SamlOptions): Router {
  let loaded: Promise<Middleware> | undefined;
  const load = () => {
    loaded ??= import('./routes.ts').then(
      ({ samlRoutes }) => samlRoutes(runtime, options).routes() as Middleware,
    );
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
  const router = new Router();
  router.all(['/saml', '/saml/{*rest}'], async (ctx, next) => (await load())(ctx, next));
  return router;
}
