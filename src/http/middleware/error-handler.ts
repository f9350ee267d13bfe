import type { Middleware } from 'koa';
import type { Logger } from '../../log.ts';
import { describeError } from '../errors.ts';

/** The default error format (JSON). Protocol front doors that need another format catch first. */
export function errorHandler(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = {
          error: { code: 'not_found', message: 'no such resource', requestId: ctx.state['requestId'] },
        };
      }
    } catch (error) {
      const { status, body, internal } = describeError(ctx, error);
      if (internal)
        log.error({ err: error, reqId: ctx.state['requestId'], path: ctx.path }, 'internal error');
      else if (status === 503)
        log.warn({ code: body.error.code, reqId: ctx.state['requestId'] }, body.error.message);
      ctx.status = status;
      ctx.body = body;
      ctx.remove('Content-Disposition');
      if (status === 503) ctx.set('Retry-After', '5');
    }
  };
}
