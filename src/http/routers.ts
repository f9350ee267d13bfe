import type Router from '@koa/router';
import type { Runtime } from '../runtime.ts';
import { apiRoutes } from './api/index.ts';

/** Every module's routes, in one list: a new front door is one line here. */
export function appRouters(runtime: Runtime): Router[] {
  return [...apiRoutes(runtime)];
}
