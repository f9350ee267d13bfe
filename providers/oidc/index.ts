import type Router from '@koa/router';
import type { Runtime } from '../../src/runtime.ts';
import type { BearerVerifier } from '../../src/tokens/scopes.ts';
import { oidcAccessTokenVerifier } from './api-tokens.ts';
import { createOidcProvider, type OidcProvider } from './provider.ts';
import { oidcRevocation } from './revocation.ts';
import { oidcRoutes } from './routes.ts';

/** The OpenID provider's front door: its routes under /oidc, and the admin API's verifier of its tokens. */
export function oidcFrontDoor(runtime: Runtime): {
  router: Router;
  apiVerifier: BearerVerifier;
  provider: OidcProvider;
} {
  const provider = createOidcProvider(runtime);
  runtime.consequences.add('oidc', oidcRevocation(runtime, provider));
  return {
    router: oidcRoutes(runtime, provider),
    provider,
    apiVerifier: oidcAccessTokenVerifier(runtime),
  };
}
