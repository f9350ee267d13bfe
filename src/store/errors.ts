import { GatehouseError } from '../errors.ts';

/** SQLSTATE of an error thrown by either backend, when it carries one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === '23505';
export const isRetryable = (error: unknown): boolean => ['40001', '40P01'].includes(sqlState(error) ?? '');

/**
 * Errors that mean "the database cannot be reached or is going away" (network errors, class 08
 * connection exceptions, 57P admin shutdown) become `store.unavailable`, so that callers fail
 * closed with a clear message rather than a stack trace.
 */
export function toStoreError(error: unknown): unknown {
  if (error instanceof GatehouseError) return error;
  const state = sqlState(error);
  const errno = (error as { code?: unknown } | null)?.code;
  const connection =
    (state && (state.startsWith('08') || state.startsWith('57P'))) ||
    (typeof errno === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|EPIPE|EAI_AGAIN)$/.test(errno)) ||
    /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect|Cannot use a pool after calling end/i.test(
      (error as Error)?.message ?? '',
    );
  if (connection) {
    return new GatehouseError('unavailable', 'store.unavailable', `database unavailable: ${describe(error)}`);
  }
  return error;
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const message = ((error as Error)?.message ?? String(error)).split('\n')[0]!;
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}
