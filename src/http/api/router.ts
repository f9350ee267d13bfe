import Router from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import { GatehouseError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import type { BearerVerifier } from '../../tokens/scopes.ts';
import { readBody, readJson } from '../body.ts';
import { bearerAuth } from './auth.ts';
import { API_PREFIX, type ApiRoute, etagOf, parseIfMatch } from './route.ts';

/** `/users/{id}` → `/users/:id` */
export const koaPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/**
 * One Koa router for a route table. Per request, in this order: authentication and scope (before
 * anything of the request is read), query, If-Match, body, handler; then status, ETag and body.
 */
export function buildRouter(
  runtime: Runtime,
  routes: readonly ApiRoute[],
  verifiers: readonly BearerVerifier[],
): Router {
  const router = new Router({ prefix: API_PREFIX });
  const authenticate = bearerAuth(verifiers);
  const limit = runtime.config.http.bodyLimit;
  for (const route of routes) {
    router[route.method](koaPath(route.path), async (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      const principal = route.scope ? await authenticate(ctx, route.scope) : undefined;
      const query = route.query ? validate(route.query, { ...ctx.query }, 'query') : undefined;
      const ifMatch = route.ifMatch ? parseIfMatch(ctx.get('if-match')) : undefined;
      let body: unknown;
      if (route.body) {
        const raw = route.bodyOptional ? await readOptionalJson(ctx, limit) : await readJson(ctx, limit);
        body = validate(route.body, raw ?? {}, 'body');
      }
      const result = await route.handle({
        params: { ...ctx.params },
        query,
        body,
        ifMatch,
        audit: {
          actor: principal?.actor ?? 'anonymous',
          ip: ctx.ip,
          requestId: String(ctx.state['requestId'] ?? '') || null,
        },
        principal,
        runtime,
      });
      ctx.status = route.status;
      if (route.etag) ctx.set('ETag', etagOf((result as { version: number }).version));
      if (route.response) ctx.body = result;
    });
  }
  return router;
}

/** An optional JSON body: nothing at all is undefined; anything else must be JSON. */
async function readOptionalJson(ctx: Context, limit: number): Promise<unknown> {
  const raw = await readBody(ctx, limit);
  return raw.length === 0 ? undefined : readJson(ctx, limit);
}

/** Parses request input with the route's schema; failure is a 400 listing every problem by path. */
function validate<S extends z.ZodType>(schema: S, input: unknown, where: 'query' | 'body'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return {
      path: where === 'query' ? `query${path ? `.${path}` : ''}` : path || '(body)',
      message:
        issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message,
    };
  });
  throw new GatehouseError(
    'invalid',
    'request.invalid',
    problems.map((p) => `${p.path}: ${p.message}`).join('; '),
    { problems },
  );
}
