// The decision API's request and answer (POST /api/v1/authorize), independent of HTTP: a resource
// service sends what it received plus what it wants decided; the answer carries the decision, the
// principal, the deciding statement, or the AWS error to pass back to the client.
import { z } from 'zod';
import { GatehouseError } from '../errors.ts';
import type { StatementRef } from '../policy/index.ts';
import type { AccessPrincipal, AccessVerifier } from './verifier.ts';

const headerValue = z.string().max(16_384);

export const authorizeRequestSchema = z.strictObject({
  request: z.strictObject({
    method: z.string().regex(/^[A-Za-z]{1,16}$/),
    /** The Host header (or :authority), when not among `headers`. */
    host: z.string().max(1024).optional(),
    /** The path as on the wire, still percent-encoded, without the query. */
    path: z.string().min(1).max(8192),
    /** The raw query string without '?'. */
    query: z.string().max(16_384).default(''),
    headers: z
      .record(z.string().min(1).max(256), z.union([headerValue, z.array(headerValue).min(1).max(32)]))
      .refine((h) => Object.keys(h).length <= 200, 'at most 200 headers'),
    /** SHA-256 of the body in lower-case hex (or leave it out when x-amz-content-sha256 carries it). */
    payloadHash: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, '64 hex digits')
      .optional(),
  }),
  action: z.string().min(1).max(256),
  resource: z.string().min(1).max(2048),
  context: z
    .record(
      z.string().min(1).max(256),
      z.union([z.string().max(4096), z.array(z.string().max(4096)).max(100), z.number(), z.boolean()]),
    )
    .optional(),
  sourceIp: z.string().max(64).optional(),
  secureTransport: z.boolean().optional(),
  /** The service accepts `x-amz-content-sha256: UNSIGNED-PAYLOAD` (S3 streaming uploads). */
  allowUnsignedPayload: z.boolean().optional(),
});
export type AuthorizeRequest = z.output<typeof authorizeRequestSchema>;

/**
 * The schema's answer for the well-formed bodies resource services send, without zod's generic
 * machinery (it costs more than the decision on the HTTP path). It only ever accepts what the
 * schema accepts, with the same output; anything it does not vouch for (undefined) goes to
 * `authorizeRequestSchema`, which accepts it or says what is wrong in its usual words.
 */
export function checkAuthorizeRequest(value: unknown): AuthorizeRequest | undefined {
  if (!isPlain(value)) return undefined;
  for (const key in value) if (!TOP_KEYS.has(key)) return undefined;
  const { request, action, resource, context, sourceIp, secureTransport, allowUnsignedPayload } = value;
  if (!isPlain(request)) return undefined;
  for (const key in request) if (!REQUEST_KEYS.has(key)) return undefined;
  const { method, host, path, query, headers, payloadHash } = request;
  if (typeof method !== 'string' || !METHOD.test(method)) return undefined;
  if (host !== undefined && !isString(host, 0, 1024)) return undefined;
  if (!isString(path, 1, 8192)) return undefined;
  if (query !== undefined && !isString(query, 0, 16_384)) return undefined;
  if (!isPlain(headers)) return undefined;
  let count = 0;
  for (const name in headers) {
    if (++count > 200 || !isKey(name, 256)) return undefined;
    const v = headers[name];
    if (typeof v === 'string') {
      if (v.length > 16_384) return undefined;
    } else if (!isStringArray(v, 1, 32, 16_384)) return undefined;
  }
  if (payloadHash !== undefined && (typeof payloadHash !== 'string' || !HEX64.test(payloadHash)))
    return undefined;
  if (!isString(action, 1, 256) || !isString(resource, 1, 2048)) return undefined;
  if (context !== undefined) {
    if (!isPlain(context)) return undefined;
    for (const key in context) {
      if (!isKey(key, 256)) return undefined;
      const v = context[key];
      if (typeof v === 'string') {
        if (v.length > 4096) return undefined;
      } else if (!Number.isFinite(v) && typeof v !== 'boolean' && !isStringArray(v, 0, 100, 4096))
        return undefined;
    }
  }
  if (sourceIp !== undefined && !isString(sourceIp, 0, 64)) return undefined;
  if (secureTransport !== undefined && typeof secureTransport !== 'boolean') return undefined;
  if (allowUnsignedPayload !== undefined && typeof allowUnsignedPayload !== 'boolean') return undefined;
  // As the schema's output: the query defaults to ''.
  const checked = (
    query === undefined ? { ...value, request: { ...request, query: '' } } : value
  ) as AuthorizeRequest;
  return checked;
}

const TOP_KEYS: ReadonlySet<string> = new Set([
  'request',
  'action',
  'resource',
  'context',
  'sourceIp',
  'secureTransport',
  'allowUnsignedPayload',
]);
const REQUEST_KEYS: ReadonlySet<string> = new Set([
  'method',
  'host',
  'path',
  'query',
  'headers',
  'payloadHash',
]);
const METHOD = /^[A-Za-z]{1,16}$/;
const HEX64 = /^[0-9a-fA-F]{64}$/;

type Plain = Record<string, unknown>;
// Parsed JSON only: objects with the plain prototype, and no key that zod's output would treat
// differently from the input's own property.
const isPlain = (v: unknown): v is Plain =>
  typeof v === 'object' &&
  v !== null &&
  Object.getPrototypeOf(v) === Object.prototype &&
  !Object.hasOwn(v, '__proto__');
const isString = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max;
const isKey = (k: string, max: number) => k.length >= 1 && k.length <= max;
const isStringArray = (v: unknown, min: number, max: number, each: number): boolean => {
  if (!Array.isArray(v) || v.length < min || v.length > max) return false;
  for (const x of v) if (typeof x !== 'string' || x.length > each) return false;
  return true;
};

export interface AuthorizeAnswer {
  allowed: boolean;
  decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny' | null;
  principal: AccessPrincipal | null;
  statement: StatementRef | null;
  explanation: string;
  /** Why the request was not even decided: the AWS error to answer the client with. */
  error: { code: string; message: string; status: number } | null;
}

export function answerAuthorize(verifier: AccessVerifier, input: AuthorizeRequest): AuthorizeAnswer {
  const { request } = input;
  let headers: Record<string, string | string[]> = request.headers;
  let hasHost = false;
  let hasHash = false;
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host') hasHost = true;
    else if (lower === 'x-amz-content-sha256') hasHash = true;
  }
  if (!hasHost && request.host !== undefined) headers = { ...headers, host: request.host };
  if (request.payloadHash === undefined && !hasHash) {
    throw new GatehouseError(
      'invalid',
      'request.invalid',
      'request.payloadHash: required unless the request carries x-amz-content-sha256',
      {
        problems: [
          {
            path: 'request.payloadHash',
            message: 'required unless the request carries x-amz-content-sha256',
          },
        ],
      },
    );
  }
  const result = verifier.authorize(
    {
      method: request.method.toUpperCase(),
      path: request.path,
      query: request.query,
      headers,
      ...(request.payloadHash !== undefined ? { payloadHash: request.payloadHash } : {}),
    },
    {
      action: input.action,
      resource: input.resource,
      ...(input.context !== undefined ? { context: input.context as Record<string, string | string[]> } : {}),
      ...(input.sourceIp !== undefined ? { sourceIp: input.sourceIp } : {}),
      ...(input.secureTransport !== undefined ? { secureTransport: input.secureTransport } : {}),
    },
    input.allowUnsignedPayload ? { allowUnsignedPayload: true } : undefined,
  );
  if (!result.ok) {
    return {
      allowed: false,
      decision: null,
      principal: null,
      statement: null,
      explanation: result.message,
      error: { code: result.code, message: result.message, status: result.status },
    };
  }
  return {
    allowed: result.allowed,
    decision: result.decision,
    principal: result.principal,
    statement: result.statement ?? null,
    explanation: result.explanation,
    error: null,
  };
}
