import type { Context } from 'koa';
import { type ErrorKind, isGatehouseError } from '../../src/errors.ts';

/**
 * An error in one of AWS's wire formats. `code` is the AWS error code (`x-amzn-errortype` for the
 * JSON services, `<Code>` for STS); the SDKs pick the exception class from it.
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  /** STS only: who is at fault (AWS's `<Type>`). */
  readonly type: 'Sender' | 'Receiver';

  constructor(code: string, status: number, message: string, type: 'Sender' | 'Receiver' = 'Sender') {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
    this.type = status >= 500 ? 'Receiver' : type;
  }
}

export const requestIdOf = (ctx: Context): string => String(ctx.state['requestId'] ?? '');

/** What each service answers for a domain error of a given kind (the codes its model declares). */
export type KindMap = Record<ErrorKind, [code: string, status: number]>;

/**
 * Any thrown value as an AwsError: AwsErrors as they are, GatehouseErrors by kind (their message is
 * safe to show), anything else an internal error whose details stay in the log.
 */
export function toAwsError(error: unknown, kinds: KindMap, internal: [string, number]): AwsError {
  if (error instanceof AwsError) return error;
  if (isGatehouseError(error)) {
    const [code, status] = kinds[error.kind];
    return new AwsError(code, status, error.message);
  }
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [code, mapped] = status === 413 ? kinds.too_large : kinds.invalid;
    return new AwsError(code, mapped, 'request refused');
  }
  return new AwsError(internal[0], internal[1], 'internal error; quote the request id to an administrator');
}

/** True when the error is a bug (not an expected refusal): it is logged with its stack. */
export const isInternal = (error: unknown): boolean =>
  !(error instanceof AwsError) &&
  !isGatehouseError(error) &&
  !(
    typeof (error as { status?: unknown })?.status === 'number' && (error as { status: number }).status < 500
  );
