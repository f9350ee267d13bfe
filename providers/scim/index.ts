import Router from '@koa/router';
import type { Context } from 'koa';
import { GatehouseError } from '../../src/errors.ts';
import { readBody } from '../../src/http/body.ts';
import { type RateLimiter, tokenBuckets } from '../../src/rate-limit.ts';
import type { Runtime } from '../../src/runtime.ts';
import { invalidSyntax } from '../../src/scim/errors.ts';
import { verifyScimToken } from '../../src/scim/tokens.ts';
import { runBulk } from './bulk.ts';
import { handleScim, type ScimContext, type ScimRequest } from './handlers.ts';
import { scimErrorOf } from './wire-errors.ts';

export const SCIM_PREFIX = '/scim/v2';
const CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * SCIM 2.0 at /scim/v2 (RFC 7643/7644): bearer SCIM tokens, a per-token rate limit, SCIM error
 * JSON for everything that goes wrong (never the admin API's error format), then the handler.
 */
export function scimRoutes(runtime: Runtime, options: { limiter?: RateLimiter } = {}): Router[] {
  const limiter =
    options.limiter ??
    tokenBuckets({ rate: runtime.config.scim.rateLimit, burst: runtime.config.scim.rateBurst });
  const baseUrl = `${runtime.config.url}${SCIM_PREFIX}`;
  const bodyLimit = runtime.config.http.bodyLimit;
  const context: ScimContext = {
    db: runtime.db,
    baseUrl,
    maxPayloadSize: bodyLimit,
    bulk: (req: ScimRequest) => runBulk(req.body, req, (op) => handleScim(context, op)),
  };
  const router = new Router({ prefix: SCIM_PREFIX });
  router.all('/{*rest}', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      const caller = await authenticate(ctx, runtime);
      const body = ['POST', 'PUT', 'PATCH'].includes(ctx.method)
        ? await readScimJson(ctx, bodyLimit)
        : undefined;
      const cost = ctx.path.endsWith('/Bulk') ? bulkCost(body) : 1;
      const wait = limiter.take(caller.tokenId, cost);
      if (wait !== undefined) {
        ctx.set('Retry-After', String(wait));
        throw new GatehouseError(
          'rate_limited',
          'scim.rate_limited',
          `too many requests; retry in ${wait} s`,
        );
      }
      const answer = await handleScim(context, {
        method: ctx.method,
        path: ctx.path.slice(SCIM_PREFIX.length),
        query: new URLSearchParams(ctx.querystring),
        body,
        ifMatch: ctx.get('if-match') || undefined,
        ifNoneMatch: ctx.get('if-none-match') || undefined,
        audit: { actor: caller.actor, ip: ctx.ip, requestId: String(ctx.state['requestId'] ?? '') || null },
      });
      ctx.status = answer.status;
      if (answer.etag) ctx.set('ETag', answer.etag);
      if (answer.location && answer.status === 201) ctx.set('Location', answer.location);
      if (answer.body !== undefined) {
        ctx.body = answer.body;
        ctx.type = CONTENT_TYPE;
      }
    } catch (error) {
      const { status, body, internal } = scimErrorOf(error);
      if (internal)
        runtime.log.error({ err: error, reqId: ctx.state['requestId'], path: ctx.path }, 'internal error');
      ctx.status = status;
      ctx.body = body;
      ctx.type = CONTENT_TYPE;
    }
  });
  return [router];
}

async function authenticate(ctx: Context, runtime: Runtime) {
  const bearer = BEARER.exec(ctx.get('authorization'))?.[1];
  const caller = bearer ? await verifyScimToken(runtime.db, bearer) : undefined;
  if (!caller) {
    ctx.set('WWW-Authenticate', 'Bearer realm="gatehouse-scim"');
    throw new GatehouseError(
      'unauthenticated',
      'scim.invalid_token',
      'a valid SCIM bearer token is required',
    );
  }
  return caller;
}

/** The body as JSON whatever the declared type (senders use application/scim+json or application/json). */
async function readScimJson(ctx: Context, limit: number): Promise<unknown> {
  const raw = await readBody(ctx, limit);
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidSyntax('the request body is not valid JSON');
  }
}

/** A Bulk request costs one request per operation (bounded by the burst in the limiter). */
function bulkCost(body: unknown): number {
  const ops = (body as { Operations?: unknown } | undefined)?.Operations;
  return Array.isArray(ops) ? Math.max(1, ops.length) : 1;
}
