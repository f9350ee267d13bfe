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
  const headers: Record<string, string | string[]> = { ...request.headers };
  const hasHost = Object.keys(headers).some((k) => k.toLowerCase() === 'host');
  if (!hasHost && request.host !== undefined) headers['host'] = request.host;
  const hasHash = Object.keys(headers).some((k) => k.toLowerCase() === 'x-amz-content-sha256');
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
