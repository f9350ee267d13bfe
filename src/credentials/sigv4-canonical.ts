// The SigV4 canonical request and string to sign. The signer and the verifier both
// build them here, so there is exactly one implementation of the canonical form.
import { hash } from 'node:crypto';
import {
  encodeBytes,
  isCanonicalEncoded,
  normalizeComponent,
  percentDecode,
  uriEncode,
} from './sigv4-encoding.ts';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export type HeaderValue = string | readonly string[] | undefined;
export type Headers = Readonly<Record<string, HeaderValue>>;
/** Header values by lower-case name, repeated headers kept in arrival order. */
export type HeaderMap = Map<string, string[]>;

export interface UriRules {
  /** Remove '.', '..' and empty segments (every service except S3). */
  normalizePath: boolean;
  /** Encode the path as it came on the wire once more (every service except S3). */
  doubleEncodePath: boolean;
}

export const DEFAULT_URI_RULES: UriRules = { normalizePath: true, doubleEncodePath: true };
export const S3_URI_RULES: UriRules = { normalizePath: false, doubleEncodePath: false };

export interface QueryParam {
  /** Canonically encoded name and value. */
  key: string;
  value: string;
  /** As they came on the wire. */
  rawKey: string;
  rawValue: string;
}

export interface CanonicalParts {
  method: string;
  uri: string;
  query: string;
  headers: HeaderMap;
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  // The one-shot API is several times cheaper than createHash for request-sized inputs.
  return hash('sha256', data);
}

const SAFE_PATH = /^[A-Za-z0-9\-._~/]*$/;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

/** RFC 3986 dot-segment removal, plus empty segments, as the AWS SDKs do it. */
export function normalizePath(path: string): string {
  if (!path.includes('//') && !DOT_SEGMENT.test(path)) return path;
  const kept: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') kept.pop();
    else kept.push(segment);
  }
  const joined = kept.join('/');
  return (path.startsWith('/') ? '/' : '') + joined + (joined !== '' && path.endsWith('/') ? '/' : '');
}

/** Canonical URI from the path exactly as it came on the wire. */
export function canonicalUri(rawPath: string, rules: UriRules): string {
  let path = rawPath === '' ? '/' : rawPath;
  if (rules.normalizePath) path = normalizePath(path);
  if (SAFE_PATH.test(path)) return path;
  // Other services sign the already-encoded path encoded again, so '%' becomes '%25'.
  if (rules.doubleEncodePath) return uriEncode(path, true);
  // S3 signs the object key encoded once: decode whatever the client sent, encode canonically.
  // An encoded slash (%2F) stays encoded; only literal slashes separate segments.
  if (isCanonicalEncoded(path, true)) return path;
  return path
    .split('/')
    .map((segment) => encodeBytes(percentDecode(segment)))
    .join('/');
}

/** Splits a raw query string ('?' optional) into parameters; empty pieces are skipped. */
export function parseQuery(rawQuery: string): QueryParam[] {
  const query = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  if (query === '') return [];
  const params: QueryParam[] = [];
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const rawKey = eq === -1 ? piece : piece.slice(0, eq);
    const rawValue = eq === -1 ? '' : piece.slice(eq + 1);
    params.push({ key: normalizeComponent(rawKey), value: normalizeComponent(rawValue), rawKey, rawValue });
  }
  return params;
}

function byKeyThenValue(a: QueryParam, b: QueryParam): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return 0;
}

/** Sorted by encoded name, then encoded value; `exclude` drops one name (X-Amz-Signature). */
export function canonicalQuery(params: readonly QueryParam[], exclude?: string): string {
  const kept = exclude === undefined ? [...params] : params.filter((p) => p.key !== exclude);
  if (kept.length === 0) return '';
  kept.sort(byKeyThenValue);
  let out = kept[0]!.key + '=' + kept[0]!.value;
  for (let i = 1; i < kept.length; i++) out += '&' + kept[i]!.key + '=' + kept[i]!.value;
  return out;
}

/** Lower-cases names; values of names that differ only in case are merged in order. */
export function headerMap(headers: Headers): HeaderMap {
  const map: HeaderMap = new Map();
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const values = typeof value === 'string' ? [value] : [...value];
    const existing = map.get(lower);
    if (existing) existing.push(...values);
    else map.set(lower, values);
  }
  return map;
}

const WHITESPACE_RUN = /\s+/g;

/** Trims each value, collapses inner whitespace runs, joins repeats with ','. */
export function canonicalHeaderValue(values: readonly string[]): string {
  let out = values[0]!.trim().replace(WHITESPACE_RUN, ' ');
  for (let i = 1; i < values.length; i++) out += ',' + values[i]!.trim().replace(WHITESPACE_RUN, ' ');
  return out;
}

/** The canonical request; every name in `signedHeaders` must be present in `headers`. */
export function canonicalRequest(parts: CanonicalParts): string {
  let headerBlock = '';
  for (const name of parts.signedHeaders) {
    headerBlock += name + ':' + canonicalHeaderValue(parts.headers.get(name) ?? ['']) + '\n';
  }
  return (
    parts.method +
    '\n' +
    parts.uri +
    '\n' +
    parts.query +
    '\n' +
    headerBlock +
    '\n' +
    parts.signedHeaders.join(';') +
    '\n' +
    parts.payloadHash
  );
}

export function credentialScope(date: string, region: string, service: string): string {
  return date + '/' + region + '/' + service + '/aws4_request';
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + sha256Hex(canonical);
}
