import type { IncomingMessage, ServerResponse } from 'node:http';
import Router from '@koa/router';
import { Counter, type Registry } from 'prom-client';
import type { Readiness } from '../../readiness.ts';

const ALIVE = '{"status":"ok"}';
const ALIVE_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Content-Length': String(ALIVE.length),
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/** `/healthz`: the process is alive and its event loop turns. Needs nothing else, so it uses nothing else. */
export function liveness(metrics: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  const count = new Counter({
    name: 'gatehouse_healthz_requests_total',
    help: 'Liveness probes answered',
    registers: [metrics],
  });
  return (req, res) => {
    count.inc();
    res.writeHead(200, ALIVE_HEADERS);
    res.end(req.method === 'HEAD' ? undefined : ALIVE);
  };
}

/** Readiness and Prometheus metrics. */
export function healthRoutes(readiness: Readiness, metrics: Registry): Router {
  const router = new Router();
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
