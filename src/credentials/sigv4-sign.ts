// SigV4 signing, for tests and for Gatehouse's own clients. It shares the canonical
// request code with the verifier, so the two cannot drift apart.

import type { SigV4Request } from './sigv4.ts';
import {
  ALGORITHM,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  type HeaderValue,
  headerMap,
  parseQuery,
  sha256Hex,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from './sigv4-canonical.ts';
import { uriEncode } from './sigv4-encoding.ts';
import { deriveSigningKey, hmacSha256 } from './sigv4-key.ts';
import { formatAmzDate } from './sigv4-time.ts';

export interface SigV4Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4SignOptions {
  credentials: SigV4Credentials;
  region: string;
  service: string;
  /** Signing time; defaults to now. */
  date?: Date;
  /** Sign into the query string (a presigned URL) valid for `expiresIn` seconds, instead of a header. */
  presign?: { expiresIn: number };
  /** S3 path rules and UNSIGNED-PAYLOAD for presigned URLs; defaults to service === 's3'. */
  s3?: boolean;
  normalizePath?: boolean;
  doubleEncodePath?: boolean;
  /** Sign the literal UNSIGNED-PAYLOAD instead of the body's hash. */
  unsignedPayload?: boolean;
  /** Send the payload hash as x-amz-content-sha256 (S3 requires it); defaults to `s3`. */
  contentSha256Header?: boolean;
  /** Which of the request's headers to sign; by default all but hop-by-hop and proxy-rewritten ones. */
  signHeader?: (lowerCaseName: string) => boolean;
}

export interface SigV4Signed {
  /** The request's headers plus the ones signing added (lower-case names). */
  headers: Record<string, HeaderValue>;
  /** The raw query; for a presigned URL, with the X-Amz-* parameters appended. */
  query: string;
  /** Header signing only. */
  authorization?: string;
  signature: string;
  signedHeaders: string[];
  canonicalRequest: string;
  stringToSign: string;
}

// Headers that proxies add, drop or rewrite; signing them would break verification (as in the AWS SDKs).
const UNSIGNABLE = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

function defaultSignHeader(name: string): boolean {
  return !UNSIGNABLE.has(name);
}

function without(
  headers: Readonly<Record<string, HeaderValue>>,
  names: readonly string[],
): Record<string, HeaderValue> {
  const copy: Record<string, HeaderValue> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!names.includes(name.toLowerCase())) copy[name] = value;
  }
  return copy;
}

export function signSigV4(
  request: Omit<SigV4Request, 'query'> & { query?: string },
  options: SigV4SignOptions,
): SigV4Signed {
  const { credentials, region, service } = options;
  const s3 = options.s3 ?? service === 's3';
  const presign = options.presign;
  const amzDate = formatAmzDate(options.date ?? new Date());
  const day = amzDate.slice(0, 8);
  const scope = credentialScope(day, region, service);

  let payload: string;
  if (options.unsignedPayload || (presign && s3)) payload = UNSIGNED_PAYLOAD;
  else payload = request.payloadHash ?? sha256Hex(request.body ?? '');

  const addHash = options.contentSha256Header ?? s3;
  const replaced = ['authorization', 'x-amz-date'];
  if (credentials.sessionToken !== undefined) replaced.push('x-amz-security-token');
  if (addHash) replaced.push('x-amz-content-sha256');
  const headers = without(request.headers, replaced);
  if (!presign) {
    headers['x-amz-date'] = amzDate;
    if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;
  }
  if (addHash) headers['x-amz-content-sha256'] = payload;

  const map = headerMap(headers);
  const signHeader = options.signHeader ?? defaultSignHeader;
  const signedHeaders = [...map.keys()].filter((n) => n === 'x-amz-date' || signHeader(n)).sort();

  let query = request.query ?? '';
  if (presign) {
    const added: [string, string][] = [
      ['X-Amz-Algorithm', ALGORITHM],
      ['X-Amz-Credential', credentials.accessKeyId + '/' + scope],
      ['X-Amz-Date', amzDate],
      ['X-Amz-SignedHeaders', signedHeaders.join(';')],
      ['X-Amz-Expires', String(presign.expiresIn)],
    ];
    if (credentials.sessionToken !== undefined)
      added.push(['X-Amz-Security-Token', credentials.sessionToken]);
    const encoded = added.map(([k, v]) => k + '=' + uriEncode(v)).join('&');
    query = query === '' ? encoded : query + '&' + encoded;
  }

  const canonical = canonicalRequest({
    method: request.method,
    uri: canonicalUri(request.path, {
      normalizePath: options.normalizePath ?? !s3,
      doubleEncodePath: options.doubleEncodePath ?? !s3,
    }),
    query: canonicalQuery(parseQuery(query)),
    headers: map,
    signedHeaders,
    payloadHash: payload,
  });
  const toSign = stringToSign(amzDate, scope, canonical);
  const signature = hmacSha256(
    deriveSigningKey(credentials.secretAccessKey, day, region, service),
    toSign,
  ).toString('hex');

  const signed: SigV4Signed = {
    headers,
    query,
    signature,
    signedHeaders,
    canonicalRequest: canonical,
    stringToSign: toSign,
  };
  if (presign) {
    signed.query = query + '&X-Amz-Signature=' + signature;
  } else {
    signed.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
    headers['authorization'] = signed.authorization;
  }
  return signed;
}
