import type { Middleware } from 'koa';
import { errorPage } from '../../views/errors.ts';
import type { Logger } from '../log.ts';
import { describeError } from './errors.ts';
import { sendPage } from './page.ts';

const TITLES: Record<number, string> = {
  400: 'Request not understood',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Not possible now',
  413: 'Too much data',
  429: 'Too many attempts',
  503: 'Unavailable for a moment',
};

/**
 * Errors of the browser pages as pages, not JSON: the same status and safe message the JSON
 * handler would give, in words for a person, and for an internal error only a reference to
 * quote (the details go to the log with that request id).
 */
export function pageErrors(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const { status, body, internal } = describeError(ctx, error);
      if (internal)
        log.error({ err: error, reqId: ctx.state['requestId'], path: ctx.path }, 'internal error');
      const message = internal
        ? `Something went wrong on our side. If it happens again, quote this reference to an administrator: ${body.error.requestId}.`
        : body.error.message;
      if (status === 503) ctx.set('Retry-After', '5');
      sendPage(
        ctx,
        status,
        errorPage(TITLES[status] ?? 'Something went wrong', message, { href: '/', text: 'Start again' }),
      );
    }
  };
}
