import type Router from '@koa/router';
import type { Runtime } from '../runtime.ts';
import { apiRoutes } from './api/index.ts';
import { assetRoutes } from './routes/assets.ts';
import { authorizeFastRoute, type FastRoute } from './routes/authorize-fast.ts';
import { setupRoutes } from './routes/setup.ts';

/** Every module's routes, in one list: a new front door is one line here. */
export function appRouters(runtime: Runtime): Router[] {
  return [assetRoutes(), setupRoutes(runtime), ...apiRoutes(runtime)];
}

/** Routes answered before the middleware stack: only hot, self-contained ones. */
export function appFastRoutes(runtime: Runtime): FastRoute[] {
  return [authorizeFastRoute(runtime)];
}
