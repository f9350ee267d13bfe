import type { Context, Middleware } from 'koa';
import type { Logger } from '../../src/log.ts';
import { AwsError, isInternal, type KindMap, requestIdOf, toAwsError } from './errors.ts';

// The two restJson1 services. The SDKs read the error type from `x-amzn-errortype` (botocore and
// SDK v3 alike); without it the AWS CLI cannot tell "authorization pending" from a failure and
// stops polling.

/** sso-oidc exceptions: HTTP status and the OAuth-style `error` value AWS puts in the body. */
export const SSO_OIDC_ERRORS = {
  AccessDeniedException: [400, 'access_denied'],
  AuthorizationPendingException: [400, 'authorization_pending'],
  ExpiredTokenException: [400, 'expired_token'],
  InternalServerException: [500, 'server_error'],
  InvalidClientException: [401, 'invalid_client'],
  InvalidClientMetadataException: [400, 'invalid_client_metadata'],
  InvalidGrantException: [400, 'invalid_grant'],
  InvalidRedirectUriException: [400, 'invalid_redirect_uri'],
  InvalidRequestException: [400, 'invalid_request'],
  InvalidScopeException: [400, 'invalid_scope'],
  SlowDownException: [400, 'slow_down'],
  UnauthorizedClientException: [400, 'unauthorized_client'],
  UnsupportedGrantTypeException: [400, 'unsupported_grant_type'],
} as const satisfies Record<string, readonly [number, string]>;
export type SsoOidcErrorCode = keyof typeof SSO_OIDC_ERRORS;

/** An sso-oidc error: `{"error","error_description"}` with the exception name in the header. */
export const ssoOidcError = (code: SsoOidcErrorCode, description: string): AwsError =>
  new AwsError(code, SSO_OIDC_ERRORS[code][0], description);

/** The sso-oidc exception for an OAuth error code (RFC 6749 / 8628) from the OpenID provider. */
export function ssoOidcErrorForOAuth(oauthError: string, description: string): AwsError {
  for (const [code, [, oauth]] of Object.entries(SSO_OIDC_ERRORS)) {
    if (oauth === oauthError) return ssoOidcError(code as SsoOidcErrorCode, description);
  }
  return ssoOidcError('InvalidRequestException', description);
}

/** sso exceptions and their statuses. */
export const SSO_ERRORS = {
  InvalidRequestException: 400,
  UnauthorizedException: 401,
  // Not declared in the model, but what AWS answers for a role the caller does not hold.
  ForbiddenException: 403,
  ResourceNotFoundException: 404,
  TooManyRequestsException: 429,
} as const;
export type SsoErrorCode = keyof typeof SSO_ERRORS;

export const ssoError = (code: SsoErrorCode, message: string): AwsError =>
  new AwsError(code, SSO_ERRORS[code], message);

const SSO_OIDC_KINDS: KindMap = {
  invalid: ['InvalidRequestException', 400],
  unauthenticated: ['InvalidClientException', 401],
  forbidden: ['AccessDeniedException', 400],
  not_found: ['InvalidRequestException', 400],
  conflict: ['InvalidRequestException', 400],
  precondition_failed: ['InvalidRequestException', 400],
  too_large: ['InvalidRequestException', 400],
  rate_limited: ['SlowDownException', 400],
  unavailable: ['InternalServerException', 503],
};

const SSO_KINDS: KindMap = {
  invalid: ['InvalidRequestException', 400],
  unauthenticated: ['UnauthorizedException', 401],
  forbidden: ['ForbiddenException', 403],
  not_found: ['ResourceNotFoundException', 404],
  conflict: ['InvalidRequestException', 400],
  precondition_failed: ['InvalidRequestException', 400],
  too_large: ['InvalidRequestException', 400],
  rate_limited: ['TooManyRequestsException', 429],
  unavailable: ['TooManyRequestsException', 503],
};

/** A JSON answer as the restJson1 services send it. */
export function sendJson(ctx: Context, status: number, body: unknown): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(body);
}

function jsonErrors(
  log: Logger,
  kinds: KindMap,
  body: (error: AwsError) => Record<string, string>,
): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined)
        throw new AwsError(kinds.invalid[0], 404, `no operation ${ctx.method} ${ctx.path}`);
    } catch (error) {
      const aws = toAwsError(error, kinds, ['InternalServerException', 500]);
      if (isInternal(error))
        log.error({ err: error, reqId: requestIdOf(ctx), path: ctx.path }, 'internal error');
      ctx.set('x-amzn-errortype', aws.code);
      ctx.set('x-amzn-requestid', requestIdOf(ctx));
      if (aws.status === 503) ctx.set('Retry-After', '5');
      sendJson(ctx, aws.status, body(aws));
    }
  };
}

/** sso-oidc errors: `{"error": "authorization_pending", "error_description": "…"}`. */
export const ssoOidcErrors = (log: Logger): Middleware =>
  jsonErrors(log, SSO_OIDC_KINDS, (e) => ({
    error: (SSO_OIDC_ERRORS as Record<string, readonly [number, string]>)[e.code]?.[1] ?? 'invalid_request',
    error_description: e.message,
  }));

/** sso errors: `{"message": "…"}`. */
export const ssoErrors = (log: Logger): Middleware =>
  jsonErrors(log, SSO_KINDS, (e) => ({ message: e.message }));
