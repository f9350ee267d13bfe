import Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { Readiness } from '../../readiness.ts';

/** Liveness, readiness and Prometheus metrics. */
export function healthRoutes(readiness: Readiness, metrics: Registry): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const { ready, checks } = await readiness.run();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });
  router.get('/metrics', async (ctx) => {
    ctx.set('Content-Type', metrics.contentType);
    ctx.body = await metrics.metrics();
  });
  return router;
}
