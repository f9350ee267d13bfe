// Reads what a request claims about its signature, from either the Authorization
// header or the presigned-URL query parameters, into one shape. Only syntax is
// checked here; whether the claim holds is sigv4.ts's business.
import { ALGORITHM, type HeaderMap, type QueryParam } from './sigv4-canonical.ts';
import { decodeComponent } from './sigv4-encoding.ts';
import { fail, type SigV4Failure } from './sigv4-errors.ts';
import { formatAmzDate, parseAmzDate, parseHttpDate } from './sigv4-time.ts';

export interface SigV4Claim {
  presigned: boolean;
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  /** 64 lower-case hex digits. */
  signature: string;
  /** The request timestamp exactly as it enters the string to sign. */
  amzDate: string;
  /** The same instant in epoch milliseconds. */
  time: number;
  /** Where the timestamp came from: it must be covered by the signature. */
  dateSource: 'x-amz-date' | 'date' | 'query';
  /** X-Amz-Expires, presigned requests only. */
  expiresSeconds?: number;
  /** X-Amz-Security-Token from the query, presigned requests only. */
  queryToken?: string;
}

export const MAX_PRESIGN_EXPIRES = 604800;

const SIGNATURE = /^[0-9a-f]{64}$/;
const SCOPE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const SCOPE_DATE = /^\d{8}$/;
const SIGNED_HEADERS = /^[a-z0-9!#$%&'*+.^_`|~-]+(?:;[a-z0-9!#$%&'*+.^_`|~-]+)*$/;

type Parsed<T> = T | SigV4Failure;

interface Credential {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
}

function parseCredential(value: string): Parsed<Credential> {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[0] === '' || parts[0]!.length > 128) {
    return fail(
      'IncompleteSignature',
      `Credential must have the form <key id>/<YYYYMMDD>/<region>/<service>/aws4_request, got '${value}'.`,
    );
  }
  const [accessKeyId, scopeDate, region, service, terminator] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!SCOPE_DATE.test(scopeDate))
    return fail('IncompleteSignature', `Credential scope date '${scopeDate}' is not YYYYMMDD.`);
  if (!SCOPE_NAME.test(region))
    return fail('IncompleteSignature', `Credential should be scoped to a valid region, not '${region}'.`);
  if (!SCOPE_NAME.test(service))
    return fail('IncompleteSignature', `Credential should be scoped to a valid service, not '${service}'.`);
  if (terminator !== 'aws4_request') {
    return fail(
      'SignatureDoesNotMatch',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`,
    );
  }
  return { accessKeyId, scopeDate, region, service };
}

/** Lower-case, ';'-separated, strictly ascending: the only form the SDKs produce. */
function parseSignedHeaders(value: string): Parsed<string[]> {
  if (!SIGNED_HEADERS.test(value)) {
    return fail(
      'IncompleteSignature',
      `SignedHeaders '${value}' is not a ';'-separated list of lower-case header names.`,
    );
  }
  const names = value.split(';');
  for (let i = 1; i < names.length; i++) {
    if (names[i - 1]! >= names[i]!) {
      return fail('IncompleteSignature', 'SignedHeaders must be lower-case names, sorted, without repeats.');
    }
  }
  return names;
}

function checkAlgorithm(algorithm: string): SigV4Failure | undefined {
  if (algorithm === ALGORITHM) return undefined;
  return fail('IncompleteSignature', `Unsupported AWS 'algorithm': '${algorithm}'.`);
}

function checkSignature(signature: string): SigV4Failure | undefined {
  if (SIGNATURE.test(signature)) return undefined;
  return fail('IncompleteSignature', 'Signature must be 64 lower-case hexadecimal digits.');
}

function single(headers: HeaderMap, name: string): Parsed<string | undefined> {
  const values = headers.get(name);
  if (values === undefined) return undefined;
  if (values.length !== 1) return fail('IncompleteSignature', `The ${name} header must appear once.`);
  return values[0]!.trim();
}

function isFailure<T>(value: Parsed<T>): value is SigV4Failure {
  return typeof value === 'object' && value !== null && 'ok' in value;
}

// The exact form every SDK sends; anything else goes through the slower, more talkative parser.
const WELL_FORMED = /^AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([^,\s]+), ?Signature=([^,\s]+)$/;

/** The Credential, SignedHeaders and Signature components of an Authorization header. */
function authorizationFields(authorization: string): Parsed<Map<string, string>> {
  const m = WELL_FORMED.exec(authorization);
  if (m !== null) {
    return new Map([
      ['Credential', m[1]!],
      ['SignedHeaders', m[2]!],
      ['Signature', m[3]!],
    ]);
  }
  const space = authorization.indexOf(' ');
  const badAlgorithm = checkAlgorithm(space === -1 ? authorization : authorization.slice(0, space));
  if (badAlgorithm) return badAlgorithm;
  const fields = new Map<string, string>();
  for (const item of authorization.slice(space + 1).split(',')) {
    const part = item.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) {
      return fail(
        'IncompleteSignature',
        `Authorization header component '${part}' is not of the form name=value.`,
      );
    }
    const name = part.slice(0, eq);
    if (name !== 'Credential' && name !== 'SignedHeaders' && name !== 'Signature') {
      return fail('IncompleteSignature', `Authorization header has an unknown component '${name}'.`);
    }
    if (fields.has(name)) return fail('IncompleteSignature', `Authorization header repeats '${name}'.`);
    fields.set(name, part.slice(eq + 1));
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((n) => !fields.has(n));
  if (missing.length > 0) {
    return fail(
      'IncompleteSignature',
      missing.map((n) => `Authorization header requires '${n}' parameter.`).join(' '),
    );
  }
  return fields;
}

/** Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export function parseAuthorizationHeader(authorization: string, headers: HeaderMap): Parsed<SigV4Claim> {
  const fields = authorizationFields(authorization);
  if (isFailure(fields)) return fields;
  const credential = parseCredential(fields.get('Credential')!);
  if (isFailure(credential)) return credential;
  const signedHeaders = parseSignedHeaders(fields.get('SignedHeaders')!);
  if (isFailure(signedHeaders)) return signedHeaders;
  const signature = fields.get('Signature')!;
  const badSignature = checkSignature(signature);
  if (badSignature) return badSignature;

  const amzDate = single(headers, 'x-amz-date');
  if (isFailure(amzDate)) return amzDate;
  let time: number | undefined;
  let text: string;
  if (amzDate !== undefined) {
    time = parseAmzDate(amzDate);
    if (time === undefined)
      return fail('IncompleteSignature', `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);
    text = amzDate;
  } else {
    const httpDate = single(headers, 'date');
    if (isFailure(httpDate)) return httpDate;
    if (httpDate === undefined) {
      return fail(
        'IncompleteSignature',
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    }
    time = parseHttpDate(httpDate);
    if (time === undefined)
      return fail('IncompleteSignature', `The Date header '${httpDate}' is not an HTTP date.`);
    text = formatAmzDate(new Date(time));
  }
  return {
    presigned: false,
    ...credential,
    signedHeaders,
    signature,
    amzDate: text,
    time,
    dateSource: amzDate !== undefined ? 'x-amz-date' : 'date',
  };
}

const PRESIGN_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
] as const;

const PRESIGN_PARAM_SET: ReadonlySet<string> = new Set(PRESIGN_PARAMS);

/** True when the query carries any presigned-URL authentication parameter. */
export function hasPresignParams(params: readonly QueryParam[]): boolean {
  return params.some(
    (p) => p.key === 'X-Amz-Algorithm' || p.key === 'X-Amz-Signature' || p.key === 'X-Amz-Credential',
  );
}

/** Parses the X-Amz-* query parameters of a presigned URL. */
export function parsePresignedQuery(params: readonly QueryParam[]): Parsed<SigV4Claim> {
  const found = new Map<string, string>();
  for (const p of params) {
    if (!p.key.startsWith('X-Amz-') || !PRESIGN_PARAM_SET.has(p.key)) continue;
    if (found.has(p.key))
      return fail('IncompleteSignature', `Query parameter ${p.key} appears more than once.`);
    found.set(p.key, decodeComponent(p.rawValue));
  }
  const missing = PRESIGN_PARAMS.filter((n) => n !== 'X-Amz-Security-Token' && !found.has(n));
  if (missing.length > 0) {
    return fail(
      'IncompleteSignature',
      `Presigned requests require the query parameters ${missing.join(', ')}.`,
    );
  }
  const badAlgorithm = checkAlgorithm(found.get('X-Amz-Algorithm')!);
  if (badAlgorithm) return badAlgorithm;
  const credential = parseCredential(found.get('X-Amz-Credential')!);
  if (isFailure(credential)) return credential;
  const signedHeaders = parseSignedHeaders(found.get('X-Amz-SignedHeaders')!);
  if (isFailure(signedHeaders)) return signedHeaders;
  const signature = found.get('X-Amz-Signature')!;
  const badSignature = checkSignature(signature);
  if (badSignature) return badSignature;
  const amzDate = found.get('X-Amz-Date')!;
  const time = parseAmzDate(amzDate);
  if (time === undefined)
    return fail('IncompleteSignature', `X-Amz-Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);
  const expires = found.get('X-Amz-Expires')!;
  const expiresSeconds = /^\d{1,6}$/.test(expires) ? Number(expires) : Number.NaN;
  if (!(expiresSeconds >= 1 && expiresSeconds <= MAX_PRESIGN_EXPIRES)) {
    return fail(
      'InvalidParameterValue',
      `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGN_EXPIRES}, got '${expires}'.`,
    );
  }
  const claim: SigV4Claim = {
    presigned: true,
    ...credential,
    signedHeaders,
    signature,
    amzDate,
    time,
    dateSource: 'query',
    expiresSeconds,
  };
  const token = found.get('X-Amz-Security-Token');
  if (token !== undefined) claim.queryToken = token;
  return claim;
}

export { isFailure };
