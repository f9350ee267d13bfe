import type { Context } from 'koa';
import { type ErrorKind, isGatehouseError } from '../errors.ts';

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
}

/**
 * Turns anything thrown into a status and a safe body: domain errors keep their code and message,
 * HTTP errors raised by middleware keep their status, everything else is an internal error with no
 * details (the stack goes to the log, with the request id to find it).
 */
export function describeError(
  ctx: Context,
  error: unknown,
): { status: number; body: ErrorBody; internal: boolean } {
  const requestId = String(ctx.state['requestId'] ?? '');
  if (isGatehouseError(error)) {
    return {
      status: STATUS_BY_KIND[error.kind],
      body: {
        error: {
          code: error.code,
          message: error.message,
          requestId,
          ...(error.details ? { details: error.details } : {}),
        },
      },
      internal: false,
    };
  }
  const status = (error as { status?: unknown })?.status;
  const expose = (error as { expose?: unknown })?.expose === true;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = expose ? (error as Error).message : 'request refused';
    return { status, body: { error: { code: `http.${status}`, message, requestId } }, internal: false };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'internal_error',
        message: 'internal error; quote the request id to an administrator',
        requestId,
      },
    },
    internal: true,
  };
}
