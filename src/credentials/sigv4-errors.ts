// Verification failures as values, with the error codes and HTTP statuses AWS
// services use for the same condition (the "Common Errors" tables of the AWS API
// references, and S3's for S3-only cases).
//
// Time: a header-signed request outside the allowed skew gets SignatureDoesNotMatch
// with "Signature expired: … is now earlier than …" (or "not yet current"), which is
// what STS and IAM actually answer, server time included. A presigned URL past its
// X-Amz-Expires gets RequestExpired, the documented common error for it, or
// AccessDenied "Request has expired" under the S3 rules, as S3 answers.

export type SigV4ErrorCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignature'
  | 'InvalidClientTokenId'
  | 'ExpiredToken'
  | 'SignatureDoesNotMatch'
  | 'RequestExpired'
  | 'AccessDenied'
  | 'InvalidParameterValue'
  | 'InvalidParameterCombination'
  | 'XAmzContentSHA256Mismatch'
  | 'ServiceUnavailable'
  | 'InternalFailure';

const STATUS: Record<SigV4ErrorCode, number> = {
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
  InvalidClientTokenId: 403,
  ExpiredToken: 400,
  SignatureDoesNotMatch: 403,
  RequestExpired: 400,
  AccessDenied: 403,
  InvalidParameterValue: 400,
  InvalidParameterCombination: 400,
  XAmzContentSHA256Mismatch: 400,
  ServiceUnavailable: 503,
  InternalFailure: 500,
};

export interface SigV4Failure {
  ok: false;
  code: SigV4ErrorCode;
  message: string;
  /** Suggested HTTP status for the error response. */
  status: number;
}

export function fail(code: SigV4ErrorCode, message: string): SigV4Failure {
  return { ok: false, code, message, status: STATUS[code] };
}

export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';
