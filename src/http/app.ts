import type { IncomingMessage, ServerResponse } from 'node:http';
import type Router from '@koa/router';
import Koa from 'koa';
import type { Runtime } from '../runtime.ts';
import { httpMetrics } from './metrics.ts';
import { accessLog } from './middleware/access-log.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { requestId } from './middleware/request-id.ts';
import { securityHeaders } from './middleware/security-headers.ts';
import type { FastRoute } from './routes/authorize-fast.ts';
import { healthRoutes, liveness } from './routes/health.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The Koa application: cross-cutting middleware in a fixed order, then each module's routes.
 * Modules contribute routers; they do not reach into the app.
 */
export function createApp(runtime: Runtime, routers: Router[] = []): Koa {
  const app = new Koa({ proxy: runtime.config.http.trustProxy });
  app.silent = true; // errors are logged by the error handler, once, with the request id
  app.use(requestId());
  app.use(accessLog(runtime.log));
  app.use(httpMetrics(runtime.metrics));
  app.use(securityHeaders(runtime.config.url.startsWith('https:')));
  app.use(errorHandler(runtime.log));
  for (const router of [healthRoutes(runtime.readiness, runtime.metrics), ...routers]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}

/**
 * The server's request handler: liveness is answered before the framework (it says only that the
 * process can answer, and probes call it often), so are the few hot routes in `fast` (the decision
 * API); everything else goes to Koa.
 */
export function createHandler(
  runtime: Runtime,
  routers: Router[] = [],
  fast: (runtime: Runtime) => FastRoute[] = () => [],
): RequestHandler {
  const koa = createApp(runtime, routers).callback();
  const live = liveness(runtime.metrics);
  // Built after the app, so they find the app's request metrics in the registry.
  const routes = fast(runtime);
  return (req, res) => {
    if (req.url === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) return live(req, res);
    for (const route of routes)
      if (req.url === route.url && req.method === route.method) return route.handle(req, res);
    void koa(req, res);
  };
}
