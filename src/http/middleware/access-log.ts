import type { Middleware } from 'koa';
import type { Logger } from '../../log.ts';

const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One structured line per request. The query string is left out on purpose: it can carry codes,
 * tokens and set-up links.
 */
export function accessLog(log: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const entry = {
        reqId: ctx.state['requestId'],
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ip: ctx.ip,
      };
      if (QUIET.has(ctx.path)) log.debug(entry, 'request');
      else log.info(entry, 'request');
    }
  };
}
