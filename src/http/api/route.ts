import { z } from 'zod';
import type { AuditContext } from '../../audit/audit.ts';
import { GatehouseError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import type { Principal, Scope } from '../../tokens/scopes.ts';

/**
 * The admin API is a table of routes. Each route says everything about itself (method, path,
 * scope, input and output schemas, the errors it may answer); the Koa router (router.ts) and the
 * OpenAPI document (openapi.ts) are both generated from the table, so they cannot disagree.
 */
export const API_PREFIX = '/api/v1';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<Q, B> {
  /** Path parameters, as sent (every one is an id; the domain answers 404 for a malformed one). */
  params: Record<string, string>;
  query: Q;
  body: B;
  /** The version named by If-Match (routes with `ifMatch`); undefined when absent or `*`. */
  ifMatch: number | undefined;
  /** Who acts (the authenticated principal), from where, in which request. */
  audit: AuditContext;
  principal: Principal | undefined;
  runtime: Runtime;
}

export interface RouteSpec<Q extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: Method;
  /** Below /api/v1, OpenAPI style: `/users/{id}`. Path parameters are UUIDs unless `pathSchemas` says otherwise. */
  path: string;
  /** JSON Schemas of path parameters that are not UUIDs (account ids). */
  pathSchemas?: Record<string, Record<string, unknown>>;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** The scope a caller needs (`admin` implies all); null: no authentication at all. */
  scope: Scope | null;
  query?: Q;
  body?: B;
  /** The body may be left out; the handler then gets the schema's parse of `{}`. */
  bodyOptional?: boolean;
  /** Honours `If-Match: W/"<version>"` (a stale version is 412). */
  ifMatch?: boolean;
  status: 200 | 201 | 204;
  /** The success body (none for 204). */
  response?: z.ZodType;
  /** The response is one versioned resource: it gets `ETag: W/"<version>"`. */
  etag?: boolean;
  /** Errors besides 400 (any input), 401 and 403 (any scope) that this route may answer. */
  errors?: readonly (403 | 404 | 409 | 412)[];
  handle(input: RouteInput<Out<Q>, Out<B>>): Promise<unknown>;
}

export type ApiRoute = RouteSpec<z.ZodType | undefined, z.ZodType | undefined>;

/** Checks a route's handler against its own schemas, then files it in the table's common type. */
export function defineRoute<
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<Q, B>): ApiRoute {
  return spec as unknown as ApiRoute;
}

// ---- helpers the routes share --------------------------------------------------------------

/** Opaque page cursors: base64url of the keyset position. */
export const encodeCursor = (position: Record<string, string>): string =>
  Buffer.from(JSON.stringify(position)).toString('base64url');

export function decodeCursor<S extends z.ZodType>(schema: S, cursor: string): z.output<S> {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    position = undefined;
  }
  const parsed = schema.safeParse(position);
  if (!parsed.success)
    throw new GatehouseError('invalid', 'request.invalid_cursor', 'cursor is not one this API issued');
  return parsed.data;
}

export const nameCursor = z.strictObject({ name: z.string().max(1024), id: z.guid() });
export const memberCursor = z.strictObject({ type: z.enum(['user', 'group']), id: z.guid() });

export const etagOf = (version: number): string => `W/"${version}"`;

/**
 * The version named by an If-Match header: `W/"3"` or `"3"`; `*` (or no header) means any. A
 * list or anything else is refused: a condition we cannot read must not be ignored.
 */
export function parseIfMatch(header: string): number | undefined {
  const value = header.trim();
  if (value === '' || value === '*') return undefined;
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(value);
  if (!match)
    throw new GatehouseError(
      'invalid',
      'request.invalid_if_match',
      'If-Match must be one ETag of this API, like W/"3", or *',
    );
  return Number(match[1]);
}
