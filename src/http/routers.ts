import type Router from '@koa/router';
import { scimRoutes } from '../../providers/scim/index.ts';
import type { Runtime } from '../runtime.ts';
import { apiRoutes } from './api/index.ts';
import { assetRoutes } from './routes/assets.ts';
import { setupRoutes } from './routes/setup.ts';

/** Every module's routes, in one list: a new front door is one line here. */
export function appRouters(runtime: Runtime): Router[] {
  return [assetRoutes(), setupRoutes(runtime), ...apiRoutes(runtime), ...scimRoutes(runtime)];
}
