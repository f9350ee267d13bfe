import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { AuditContext } from '../../src/audit/audit.ts';
import { readBody } from '../../src/http/body.ts';
import type { Logger } from '../../src/log.ts';
import type { Runtime } from '../../src/runtime.ts';
import { AwsError, isInternal, type KindMap, requestIdOf, toAwsError } from './errors.ts';
import { optionalInt, parseQueryRequest, type QueryRequest, required } from './query.ts';
import { queryError, queryResponse, type XmlValue } from './xml.ts';

export const STS_PREFIX = '/aws/sts';
export const STS_VERSION = '2011-06-15';

/** A request as it arrived, for SigV4 verification (the shape of src/credentials/sigv4.ts). */
export interface SignedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export interface CallerIdentity {
  UserId: string;
  Account: string;
  Arn: string;
}

export interface StsCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

export interface WebIdentityInput {
  roleArn: string;
  roleSessionName: string;
  webIdentityToken: string;
  durationSeconds: number | undefined;
}

export interface WebIdentityResult {
  credentials: StsCredentials;
  subject: string;
  assumedRoleId: string;
  arn: string;
  provider: string;
  audience: string;
}

export interface SamlInput {
  roleArn: string;
  principalArn: string;
  /** The samlp:Response as XML (already base64-decoded). */
  samlResponse: string;
  durationSeconds: number | undefined;
}

export interface SamlResult {
  credentials: StsCredentials;
  assumedRoleId: string;
  arn: string;
  subject: string;
  subjectType: string;
  issuer: string;
  audience: string;
  nameQualifier: string;
}

/** What the STS front door translates onto: the credential verifier and issuer. */
export interface StsBackend {
  /** SigV4 + expiry + revocation; failures are AwsErrors with the verifier's AWS code. */
  callerIdentity(request: SignedRequest): CallerIdentity;
  assumeRoleWithWebIdentity(input: WebIdentityInput, context: AuditContext): Promise<WebIdentityResult>;
  assumeRoleWithSaml(input: SamlInput, context: AuditContext): Promise<SamlResult>;
}

// STS's codes for domain errors, as IAM and STS use them for the same conditions.
const STS_KINDS: KindMap = {
  invalid: ['InvalidParameterValue', 400],
  unauthenticated: ['InvalidClientTokenId', 403],
  forbidden: ['AccessDenied', 403],
  not_found: ['AccessDenied', 403],
  conflict: ['InvalidParameterValue', 400],
  precondition_failed: ['InvalidParameterValue', 400],
  too_large: ['InvalidParameterValue', 400],
  rate_limited: ['Throttling', 400],
  unavailable: ['ServiceUnavailable', 503],
};

function stsErrors(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const aws = toAwsError(error, STS_KINDS, ['InternalFailure', 500]);
      if (isInternal(error))
        log.error({ err: error, reqId: requestIdOf(ctx), path: ctx.path }, 'internal error');
      ctx.status = aws.status;
      ctx.type = 'text/xml';
      ctx.set('x-amzn-RequestId', requestIdOf(ctx));
      if (aws.status === 503) ctx.set('Retry-After', '5');
      ctx.body = queryError(aws.type, aws.code, aws.message, requestIdOf(ctx));
    }
  };
}

function respond(ctx: Context, action: string, result: XmlValue): void {
  ctx.status = 200;
  ctx.type = 'text/xml';
  ctx.set('x-amzn-RequestId', requestIdOf(ctx));
  ctx.body = queryResponse(action, result, requestIdOf(ctx));
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * `/aws/sts`: the STS query API (awsQuery, XML) for SDK and CLI endpoint overrides:
 * GetCallerIdentity (SigV4 with Gatehouse credentials) and AssumeRoleWithWebIdentity (Gatehouse ID
 * tokens) and AssumeRoleWithSAML (responses of Gatehouse's own SAML IdP, AWS template).
 */
export function stsRoutes(runtime: Runtime, backend: StsBackend): Router {
  const router = new Router();
  router.use(STS_PREFIX, stsErrors(runtime.log));
  const handle = async (ctx: Context) => {
    const body = await readBody(ctx, runtime.config.http.bodyLimit);
    if (body.length > 0 && !ctx.is(FORM))
      throw new AwsError('InvalidParameterValue', 400, `expected Content-Type: ${FORM}`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      throw new AwsError('MalformedQueryString', 400, 'request body is not valid UTF-8');
    }
    const request = parseQueryRequest(ctx.querystring, text);
    if (request.version !== undefined && request.version !== STS_VERSION)
      throw new AwsError(
        'InvalidAction',
        400,
        `Could not find operation ${request.action} for version ${request.version}`,
      );
    switch (request.action) {
      case 'GetCallerIdentity':
        return respond(ctx, request.action, { ...getCallerIdentity(ctx, body, backend) });
      case 'AssumeRoleWithWebIdentity':
        return respond(ctx, request.action, await assumeRoleWithWebIdentity(ctx, request, backend));
      case 'AssumeRoleWithSAML':
        return respond(ctx, request.action, await assumeRoleWithSaml(ctx, request, backend));
      default:
        throw new AwsError(
          'InvalidAction',
          400,
          `Could not find operation ${request.action.slice(0, 64)} for version ${STS_VERSION}`,
        );
    }
  };
  router.post(STS_PREFIX, handle);
  router.post(`${STS_PREFIX}/`, handle);
  router.get(STS_PREFIX, handle);
  router.get(`${STS_PREFIX}/`, handle);
  return router;
}

function getCallerIdentity(ctx: Context, body: Buffer, backend: StsBackend): CallerIdentity {
  const url = ctx.req.url ?? '/';
  const mark = url.indexOf('?');
  return backend.callerIdentity({
    method: ctx.method,
    path: mark < 0 ? url : url.slice(0, mark),
    query: mark < 0 ? '' : url.slice(mark + 1),
    headers: ctx.req.headersDistinct as Record<string, string[]>,
    body,
  });
}

async function assumeRoleWithWebIdentity(
  ctx: Context,
  request: QueryRequest,
  backend: StsBackend,
): Promise<XmlValue> {
  const input: WebIdentityInput = {
    roleArn: required(request, 'RoleArn'),
    roleSessionName: required(request, 'RoleSessionName'),
    webIdentityToken: required(request, 'WebIdentityToken'),
    durationSeconds: optionalInt(request, 'DurationSeconds', 900, 43200),
  };
  if (!/^[\w+=,.@-]{2,64}$/.test(input.roleSessionName))
    throw new AwsError('ValidationError', 400, 'RoleSessionName must be 2 to 64 characters of [\\w+=,.@-]');
  const result = await backend.assumeRoleWithWebIdentity(input, {
    actor: 'anonymous',
    requestId: requestIdOf(ctx),
    ip: ctx.ip,
  });
  return {
    Credentials: { ...result.credentials },
    SubjectFromWebIdentityToken: result.subject,
    AssumedRoleUser: { AssumedRoleId: result.assumedRoleId, Arn: result.arn },
    Provider: result.provider,
    Audience: result.audience,
  };
}

/** base64 SAMLResponse limit (AWS allows 100 000 characters). */
const MAX_SAML_CHARS = 100_000;

async function assumeRoleWithSaml(
  ctx: Context,
  request: QueryRequest,
  backend: StsBackend,
): Promise<XmlValue> {
  const encoded = required(request, 'SAMLAssertion');
  const input: SamlInput = {
    roleArn: required(request, 'RoleArn'),
    principalArn: required(request, 'PrincipalArn'),
    samlResponse: '',
    durationSeconds: optionalInt(request, 'DurationSeconds', 900, 43200),
  };
  // Session policies would narrow the permission set; Gatehouse does not evaluate them, and
  // ignoring one would hand out more than the caller asked for, so they are refused.
  for (const name of request.params.keys())
    if (name === 'Policy' || name.startsWith('PolicyArns.'))
      throw new AwsError(
        'MalformedPolicyDocument',
        400,
        'session policies are not supported: credentials carry the permission set as assigned',
      );
  const compact = encoded.replace(/\s+/g, '');
  if (compact.length > MAX_SAML_CHARS || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact))
    throw new AwsError('InvalidIdentityToken', 400, 'SAMLAssertion is not valid base64');
  try {
    input.samlResponse = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(compact, 'base64'));
  } catch {
    throw new AwsError('InvalidIdentityToken', 400, 'SAMLAssertion is not UTF-8 XML');
  }
  const result = await backend.assumeRoleWithSaml(input, {
    actor: 'anonymous',
    requestId: requestIdOf(ctx),
    ip: ctx.ip,
  });
  return {
    Credentials: { ...result.credentials },
    AssumedRoleUser: { AssumedRoleId: result.assumedRoleId, Arn: result.arn },
    PackedPolicySize: 0,
    Subject: result.subject,
    SubjectType: result.subjectType,
    Issuer: result.issuer,
    Audience: result.audience,
    NameQualifier: result.nameQualifier,
  };
}
