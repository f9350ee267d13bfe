/**
 * One error type for expected failures. Domains throw `GatehouseError` with a stable
 * `code` (`<domain>.<reason>`, e.g. `store.unavailable`) and a `kind` that says what went wrong
 * in terms any front door can translate (HTTP status, OAuth error, SAML status, SCIM error…).
 * Anything else that is thrown is a bug and is reported as an internal error without details.
 */
export type ErrorKind =
  | 'invalid' // the caller sent something malformed or not allowed
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'; // a dependency (database, directory) cannot be reached: fail closed

export class GatehouseError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'GatehouseError';
    this.kind = kind;
    this.code = code;
    this.details = details;
  }
}

export function isGatehouseError(error: unknown): error is GatehouseError {
  return error instanceof GatehouseError;
}

/** A message safe to show on one line, for CLI output and start-up failures. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
