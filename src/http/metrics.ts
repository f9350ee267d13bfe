import type { Middleware } from 'koa';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../store/db.ts';

/** One registry per running app (tests run several in one process). */
export function createMetrics(db: Db): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  new Gauge({
    name: 'gatehouse_db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const stats = db.stats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  new Gauge({
    name: 'gatehouse_info',
    help: 'Backend in use',
    labelNames: ['backend'],
    registers: [registry],
  }).set({ backend: db.kind }, 1);
  return registry;
}

/** Request duration by method, route template (never the raw path: bounded labels) and status. */
export function httpMetrics(registry: Registry): Middleware {
  const histogram = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const total = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  // Label children are looked up once per (method, route, status), not hashed on every request.
  const children = new Map<
    string,
    { duration: ReturnType<typeof histogram.labels>; count: ReturnType<typeof total.labels> }
  >();
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = String(ctx.state['metricsRoute'] ?? ctx._matchedRoute ?? 'unmatched');
      const key = `${ctx.method} ${route} ${ctx.status}`;
      let child = children.get(key);
      if (!child) {
        const labels = { method: ctx.method, route, status: String(ctx.status) };
        child = { duration: histogram.labels(labels), count: total.labels(labels) };
        children.set(key, child);
      }
      child.duration.observe((performance.now() - started) / 1000);
      child.count.inc();
    }
  };
}
