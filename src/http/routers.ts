import type Router from '@koa/router';
import { awsFrontDoor } from '../../providers/aws/index.ts';
import { oidcFrontDoor } from '../../providers/oidc/index.ts';
import { samlFrontDoor } from '../../providers/saml/lazy.ts';
import { scimRoutes } from '../../providers/scim/index.ts';
import type { Runtime } from '../runtime.ts';
import { apiRoutes } from './api/index.ts';
import { currentSession, endSession } from './portal-session.ts';
import { awsRolesOf, portalSources } from './portal-sources.ts';
import { assetRoutes } from './routes/assets.ts';
import { authorizeFastRoute, type FastRoute } from './routes/authorize-fast.ts';
import { portalRoutes } from './routes/portal.ts';
import { portalAccessRoutes } from './routes/portal-access.ts';
import { setupRoutes } from './routes/setup.ts';
import { signInRoutes } from './routes/signin.ts';
import { signInStepRoutes } from './routes/signin-steps.ts';

/** Every module's routes, in one list: a new front door is one line here. */
export function appRouters(runtime: Runtime): Router[] {
  const oidc = oidcFrontDoor(runtime);
  return [
    assetRoutes(),
    setupRoutes(runtime),
    signInRoutes(runtime),
    signInStepRoutes(runtime),
    portalRoutes(runtime, portalSources(runtime)),
    portalAccessRoutes(runtime),
    samlFrontDoor(runtime, {
      sessions: {
        current: (ctx) => currentSession(runtime, ctx),
        end: (ctx) => endSession(runtime, ctx, 'logout'),
      },
      awsRolesOf: awsRolesOf(runtime),
    }),
    ...apiRoutes(runtime, { extraVerifiers: [oidc.apiVerifier] }),
    oidc.router,
    ...scimRoutes(runtime),
    ...awsFrontDoor(runtime, oidc.provider),
  ];
}

/** Routes answered before the middleware stack: only hot, self-contained ones. */
export function appFastRoutes(runtime: Runtime): FastRoute[] {
  return [authorizeFastRoute(runtime)];
}
