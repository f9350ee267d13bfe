import Router from '@koa/router';
import type { Runtime } from '../../src/runtime.ts';
import { OIDC_PREFIX } from './configuration.ts';
import { interactionRoutes } from './interactions.ts';
import type { OidcProvider } from './provider.ts';
import { withoutFormAction } from './security.ts';

/**
 * `/oidc/…`: Gatehouse's interaction pages, then everything else handed to oidc-provider
 * (discovery, authorization, token, userinfo, JWKS, device, introspection, revocation, logout).
 */
export function oidcRoutes(runtime: Runtime, oidc: OidcProvider): Router {
  const router = new Router();
  interactionRoutes(router, runtime, oidc);
  router.all(`${OIDC_PREFIX}{/*rest}`, async (ctx) => {
    ctx.res.setHeader('Content-Security-Policy', withoutFormAction(ctx));
    await oidc.handle(ctx, ctx.url.slice(OIDC_PREFIX.length) || '/');
  });
  return router;
}
