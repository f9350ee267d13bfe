// AWS Signature Version 4 verification of a plain request description. Failures are
// returned as values carrying the AWS error code; nothing here throws. The work that
// needs no secret (parsing, scope and clock checks, canonical request) happens before
// the key lookup, so a synchronous lookup keeps the whole verification synchronous.
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  hasPresignParams,
  isFailure,
  parseAuthorizationHeader,
  parsePresignedQuery,
  type SigV4Claim,
} from './sigv4-auth.ts';
import {
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  EMPTY_SHA256,
  type HeaderMap,
  type Headers,
  headerMap,
  parseQuery,
  sha256Hex,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from './sigv4-canonical.ts';
import {
  fail,
  INVALID_TOKEN_MESSAGE,
  SIGNATURE_MISMATCH_MESSAGE,
  type SigV4Failure,
} from './sigv4-errors.ts';
import { createSigningKeyCache, type SigningKeyCache } from './sigv4-key.ts';
import { formatAmzDate } from './sigv4-time.ts';

export type { Headers, HeaderValue } from './sigv4-canonical.ts';
export type { SigV4ErrorCode, SigV4Failure } from './sigv4-errors.ts';
export { createSigningKeyCache, type SigningKeyCache } from './sigv4-key.ts';
export { type SigV4Credentials, type SigV4Signed, type SigV4SignOptions, signSigV4 } from './sigv4-sign.ts';

/** An HTTP request as it arrived, before any framework decoded it. */
export interface SigV4Request {
  method: string;
  /** The path as on the wire, still percent-encoded, without the query. */
  path: string;
  /** The raw query string, without '?' ('' when there is none). */
  query: string;
  /**
   * Names in any case. Give repeated headers as arrays (Node: `req.headersDistinct`), not
   * comma-joined. Must include `host` (over HTTP/2, the :authority value).
   */
  headers: Headers;
  /** The body, when the caller has it in memory... */
  body?: string | Uint8Array;
  /** ...or its SHA-256 in lower-case hex, when the caller hashed it while streaming. */
  payloadHash?: string;
}

/** What the lookup returns for a key id; anything else on it is passed back on success. */
export interface SigV4Secret {
  secretAccessKey: string;
  /** When set, the request must carry exactly this session token. */
  securityToken?: string;
}

export interface SigV4LookupContext {
  /** The session token the request carries, if any (already checked to be signed). */
  securityToken: string | undefined;
  region: string;
  service: string;
}

export type SigV4Lookup<T extends SigV4Secret> = (
  accessKeyId: string,
  context: SigV4LookupContext,
) => T | undefined;
export type SigV4AsyncLookup<T extends SigV4Secret> = (
  accessKeyId: string,
  context: SigV4LookupContext,
) => T | undefined | PromiseLike<T | undefined>;

export interface SigV4VerifyOptions {
  /** The server's clock; defaults to Date.now(). */
  now?: Date | number;
  /** Allowed clock difference for signed headers, and how far ahead a presigned URL may be dated. Default 900. */
  maxSkewSeconds?: number;
  /** Accepted credential-scope services / regions; anything goes when absent. */
  service?: string | readonly string[];
  region?: string | readonly string[];
  /** Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` on header-signed requests. */
  allowUnsignedPayload?: boolean;
  /**
   * S3 rules: path neither normalised nor double-encoded, presigned URLs sign UNSIGNED-PAYLOAD,
   * every x-amz-* header must be signed. Defaults to whether the credential scope names 's3'.
   */
  s3?: boolean;
  /** Override the path rules chosen by `s3` (the SigV4 suite's "unnormalized" cases need this). */
  normalizePath?: boolean;
  doubleEncodePath?: boolean;
  /** Signing keys are cached per (secret, day, region, service); defaults to a shared bounded cache. */
  keyCache?: SigningKeyCache;
}

export interface SigV4Success<T extends SigV4Secret> {
  ok: true;
  accessKeyId: string;
  region: string;
  service: string;
  signedHeaders: string[];
  /** The signing time the request claims. */
  date: Date;
  securityToken?: string;
  presigned: boolean;
  /** Presigned requests: the end of their validity. */
  expiresAt?: Date;
  /** The payload hash that was signed (hex, or UNSIGNED-PAYLOAD). */
  payloadHash: string;
  /** False when the signed hash was trusted without a body or body hash to check it against. */
  payloadChecked: boolean;
  /** What the lookup returned. */
  credential: T;
}

export type SigV4Result<T extends SigV4Secret> = SigV4Success<T> | SigV4Failure;

/** Everything decided before the secret is needed. */
export interface SigV4Inspection {
  ok: true;
  claim: SigV4Claim;
  securityToken: string | undefined;
  canonicalRequest: string;
  stringToSign: string;
  payloadHash: string;
  payloadChecked: boolean;
}

const defaultKeyCache = createSigningKeyCache();
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function nowMs(now: Date | number | undefined): number {
  if (now === undefined) return Date.now();
  return typeof now === 'number' ? now : now.getTime();
}

function accepts(expected: string | readonly string[] | undefined, actual: string): boolean {
  if (expected === undefined) return true;
  return typeof expected === 'string' ? expected === actual : expected.includes(actual);
}

function checkScope(claim: SigV4Claim, options: SigV4VerifyOptions): SigV4Failure | undefined {
  const day = claim.amzDate.slice(0, 8);
  if (claim.scopeDate !== day) {
    return fail(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${claim.scopeDate}' != '${day}', from '${claim.amzDate}'.`,
    );
  }
  if (!accepts(options.region, claim.region)) {
    return fail(
      'SignatureDoesNotMatch',
      `Credential should be scoped to a valid region, not '${claim.region}'.`,
    );
  }
  if (!accepts(options.service, claim.service)) {
    return fail(
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${String(options.service)}'.`,
    );
  }
  return undefined;
}

function checkSignedHeaders(claim: SigV4Claim, headers: HeaderMap, s3: boolean): SigV4Failure | undefined {
  const signed = claim.signedHeaders;
  if (!signed.includes('host')) {
    return fail('IncompleteSignature', "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (claim.dateSource !== 'query' && !signed.includes(claim.dateSource)) {
    return fail(
      'IncompleteSignature',
      `The '${claim.dateSource}' header carries the signing time, so it must be signed.`,
    );
  }
  for (const name of signed) {
    if (!headers.has(name))
      return fail('SignatureDoesNotMatch', `The signed header '${name}' is missing from the request.`);
  }
  // S3 refuses x-amz-* headers that are not covered by the signature; so do we, for S3.
  if (s3 && !claim.presigned) {
    for (const name of headers.keys()) {
      if (name.startsWith('x-amz-') && !signed.includes(name)) {
        return fail(
          'AccessDenied',
          `There were headers present in the request which were not signed: ${name}.`,
        );
      }
    }
  }
  return undefined;
}

/** The session token: a header one must be signed; a presigned query one is covered by the canonical query. */
function securityToken(claim: SigV4Claim, headers: HeaderMap): string | undefined | SigV4Failure {
  const values = headers.get('x-amz-security-token');
  let token: string | undefined;
  if (values !== undefined) {
    if (values.length !== 1)
      return fail('IncompleteSignature', 'The x-amz-security-token header must appear once.');
    if (!claim.signedHeaders.includes('x-amz-security-token')) {
      return fail('IncompleteSignature', "The 'x-amz-security-token' header must be a 'SignedHeader'.");
    }
    token = values[0]!.trim();
  }
  if (claim.queryToken !== undefined) {
    if (token !== undefined && token !== claim.queryToken) {
      return fail('InvalidParameterCombination', 'The request carries two different security tokens.');
    }
    token = claim.queryToken;
  }
  return token;
}

function checkTime(
  claim: SigV4Claim,
  now: number,
  options: SigV4VerifyOptions,
  s3: boolean,
): SigV4Failure | undefined {
  const skewSeconds = options.maxSkewSeconds ?? 900;
  const skew = skewSeconds * 1000;
  const minutes = `${skewSeconds / 60} min.`;
  const server = () => formatAmzDate(new Date(now));
  // Messages are those STS and IAM send for the same conditions.
  if (claim.time - now > skew) {
    return fail(
      'SignatureDoesNotMatch',
      `Signature not yet current: ${claim.amzDate} is still later than ${formatAmzDate(new Date(now + skew))} (${server()} + ${minutes})`,
    );
  }
  if (claim.presigned) {
    const expiresAt = claim.time + claim.expiresSeconds! * 1000;
    if (now <= expiresAt) return undefined;
    const message = `Request has expired: it was valid until ${formatAmzDate(new Date(expiresAt))}, the server time is ${server()}.`;
    // S3 answers AccessDenied "Request has expired"; other services document RequestExpired.
    return fail(s3 ? 'AccessDenied' : 'RequestExpired', message);
  }
  if (now - claim.time > skew) {
    return fail(
      'SignatureDoesNotMatch',
      `Signature expired: ${claim.amzDate} is now earlier than ${formatAmzDate(new Date(now - skew))} (${server()} - ${minutes})`,
    );
  }
  return undefined;
}

interface Payload {
  hash: string;
  checked: boolean;
}

function payloadHash(
  request: SigV4Request,
  claim: SigV4Claim,
  headers: HeaderMap,
  options: SigV4VerifyOptions,
  s3: boolean,
): Payload | SigV4Failure {
  let actual: string | undefined;
  // Most requests (GET, HEAD, DELETE) have an empty body, whose hash is a constant.
  if (request.body !== undefined) actual = request.body.length === 0 ? EMPTY_SHA256 : sha256Hex(request.body);
  else if (request.payloadHash !== undefined) actual = request.payloadHash.toLowerCase();
  const values = headers.get('x-amz-content-sha256');
  // An unsigned x-amz-content-sha256 proves nothing, except to S3, which always signs with it.
  if (values !== undefined && (s3 || claim.signedHeaders.includes('x-amz-content-sha256'))) {
    if (values.length !== 1)
      return fail('IncompleteSignature', 'The x-amz-content-sha256 header must appear once.');
    const claimed = values[0]!.trim();
    if (HEX_SHA256.test(claimed)) {
      if (actual !== undefined && actual !== claimed) {
        return fail(
          'XAmzContentSHA256Mismatch',
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
        );
      }
      return { hash: claimed, checked: actual !== undefined };
    }
    if (claimed === UNSIGNED_PAYLOAD) {
      if (options.allowUnsignedPayload || (s3 && claim.presigned)) return { hash: claimed, checked: false };
      return fail('AccessDenied', 'UNSIGNED-PAYLOAD is not accepted for this request; sign the payload.');
    }
    return fail('InvalidParameterValue', `Unsupported x-amz-content-sha256 value '${claimed}'.`);
  }
  // S3 presigned URLs sign the literal UNSIGNED-PAYLOAD.
  if (s3 && claim.presigned) return { hash: UNSIGNED_PAYLOAD, checked: false };
  if (actual === undefined)
    return fail('InternalFailure', 'Neither the body nor its hash was given to the verifier.');
  return { hash: actual, checked: true };
}

/** Parses and checks a request and builds its string to sign, without looking up any secret. */
export function inspectSigV4(
  request: SigV4Request,
  options: SigV4VerifyOptions = {},
): SigV4Inspection | SigV4Failure {
  const headers = headerMap(request.headers);
  const params = parseQuery(request.query);
  const authorization = headers.get('authorization');
  const presigned = hasPresignParams(params);
  if (authorization !== undefined && presigned) {
    return fail(
      'InvalidParameterCombination',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.',
    );
  }
  let claim: SigV4Claim | SigV4Failure;
  if (authorization !== undefined) {
    if (authorization.length !== 1)
      return fail('IncompleteSignature', 'The Authorization header must appear once.');
    claim = parseAuthorizationHeader(authorization[0]!.trim(), headers);
  } else if (presigned) {
    claim = parsePresignedQuery(params);
  } else {
    return fail('MissingAuthenticationToken', 'Request is missing Authentication Token');
  }
  if (isFailure(claim)) return claim;

  const s3 = options.s3 ?? claim.service === 's3';
  const problem =
    checkScope(claim, options) ??
    checkSignedHeaders(claim, headers, s3) ??
    checkTime(claim, nowMs(options.now), options, s3);
  if (problem) return problem;
  const token = securityToken(claim, headers);
  if (isFailure(token)) return token;
  const payload = payloadHash(request, claim, headers, options, s3);
  if (isFailure(payload)) return payload;

  const uri = canonicalUri(request.path, {
    normalizePath: options.normalizePath ?? !s3,
    doubleEncodePath: options.doubleEncodePath ?? !s3,
  });
  const canonical = canonicalRequest({
    method: request.method,
    uri,
    query: canonicalQuery(params, claim.presigned ? 'X-Amz-Signature' : undefined),
    headers,
    signedHeaders: claim.signedHeaders,
    payloadHash: payload.hash,
  });
  return {
    ok: true,
    claim,
    securityToken: token,
    canonicalRequest: canonical,
    stringToSign: stringToSign(
      claim.amzDate,
      credentialScope(claim.scopeDate, claim.region, claim.service),
      canonical,
    ),
    payloadHash: payload.hash,
    payloadChecked: payload.checked,
  };
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Only the length can leak, and a session token's length is no secret.
  return x.length === y.length && timingSafeEqual(x, y);
}

function finish<T extends SigV4Secret>(
  inspection: SigV4Inspection,
  record: T | undefined,
  options: SigV4VerifyOptions,
): SigV4Result<T> {
  const { claim } = inspection;
  if (record === undefined) return fail('InvalidClientTokenId', INVALID_TOKEN_MESSAGE);
  if (
    record.securityToken !== undefined &&
    !sameString(record.securityToken, inspection.securityToken ?? '')
  ) {
    return fail('InvalidClientTokenId', INVALID_TOKEN_MESSAGE);
  }
  const key = (options.keyCache ?? defaultKeyCache).get(
    record.secretAccessKey,
    claim.scopeDate,
    claim.region,
    claim.service,
  );
  const expected = createHmac('sha256', key).update(inspection.stringToSign, 'utf8').digest();
  // The claimed signature was checked to be 64 hex digits, so both buffers are 32 bytes.
  if (!timingSafeEqual(expected, Buffer.from(claim.signature, 'hex'))) {
    return fail('SignatureDoesNotMatch', SIGNATURE_MISMATCH_MESSAGE);
  }
  const success: SigV4Success<T> = {
    ok: true,
    accessKeyId: claim.accessKeyId,
    region: claim.region,
    service: claim.service,
    signedHeaders: claim.signedHeaders,
    date: new Date(claim.time),
    presigned: claim.presigned,
    payloadHash: inspection.payloadHash,
    payloadChecked: inspection.payloadChecked,
    credential: record,
  };
  if (inspection.securityToken !== undefined) success.securityToken = inspection.securityToken;
  if (claim.presigned) success.expiresAt = new Date(claim.time + claim.expiresSeconds! * 1000);
  return success;
}

function internal(error: unknown): SigV4Failure {
  return fail('InternalFailure', `Signature verification failed unexpectedly: ${String(error)}`);
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/**
 * Verifies a SigV4-signed request (Authorization header or presigned URL). With a synchronous
 * lookup the result is returned directly; with an asynchronous one, a promise of it.
 */
export function verifySigV4<T extends SigV4Secret>(
  request: SigV4Request,
  lookup: SigV4Lookup<T>,
  options?: SigV4VerifyOptions,
): SigV4Result<T>;
export function verifySigV4<T extends SigV4Secret>(
  request: SigV4Request,
  lookup: SigV4AsyncLookup<T>,
  options?: SigV4VerifyOptions,
): SigV4Result<T> | Promise<SigV4Result<T>>;
export function verifySigV4<T extends SigV4Secret>(
  request: SigV4Request,
  lookup: SigV4AsyncLookup<T>,
  options: SigV4VerifyOptions = {},
): SigV4Result<T> | Promise<SigV4Result<T>> {
  try {
    const inspection = inspectSigV4(request, options);
    if (!inspection.ok) return inspection;
    const { claim } = inspection;
    const found = lookup(claim.accessKeyId, {
      securityToken: inspection.securityToken,
      region: claim.region,
      service: claim.service,
    });
    if (!isThenable(found)) return finish(inspection, found, options);
    return Promise.resolve(found).then(
      (record) => {
        try {
          return finish(inspection, record, options);
        } catch (error) {
          return internal(error);
        }
      },
      (error: unknown) => internal(error),
    );
  } catch (error) {
    return internal(error);
  }
}
