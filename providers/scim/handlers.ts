import type { AuditContext } from '../../src/audit/audit.ts';
import { GatehouseError } from '../../src/errors.ts';
import { invalidSyntax } from '../../src/scim/errors.ts';
import {
  createScimGroup,
  deleteScimGroup,
  getScimGroup,
  listScimGroups,
  patchScimGroup,
  replaceScimGroup,
  scimMembers,
} from '../../src/scim/groups.ts';
import type { ListQuery } from '../../src/scim/list.ts';
import { LIST_RESPONSE } from '../../src/scim/schemas.ts';
import {
  createScimUser,
  deleteScimUser,
  getScimUser,
  listScimUsers,
  replaceScimUser,
  type ScimUser,
  scimUserGroups,
} from '../../src/scim/users.ts';
import type { Db, Queryable } from '../../src/store/db.ts';
import { listOf, resourceTypes, schemas, serviceProviderConfig } from './discovery.ts';
import { groupChanges, groupInput, renderGroup } from './group-resource.ts';
import { applyUserPatch, parsePatchRequest } from './patch.ts';
import { project, wants } from './projection.ts';
import { type Projection, parseListRequest, parseProjection } from './query.ts';
import { canonicalUser, type Json, renderUser, userInput } from './user-resource.ts';

/**
 * SCIM requests as plain data, answered without Koa: the HTTP router and Bulk both call this, so a
 * Bulk operation is exactly the request it stands for.
 */
export interface ScimRequest {
  method: string;
  /** Below /scim/v2: `/Users`, `/Groups/<id>`. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  audit: AuditContext;
}

export interface ScimResponse {
  status: number;
  body?: Json | undefined;
  etag?: string | undefined;
  location?: string | undefined;
}

export interface ScimContext {
  db: Db;
  /** `{GATEHOUSE_URL}/scim/v2` */
  baseUrl: string;
  maxPayloadSize: number;
  bulk(request: ScimRequest): Promise<ScimResponse>;
}

const etagOf = (version: number) => `W/"${version}"`;

/**
 * The version an If-Match names. `*` or no header: any. An ETag that is not one of ours can match
 * nothing: the precondition fails (412), it is never ignored.
 */
export function ifVersion(header: string | undefined): number | undefined {
  const value = header?.trim();
  if (!value || value === '*') return undefined;
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(value);
  return match ? Number(match[1]) : -1;
}

const notFound = () => new GatehouseError('not_found', 'scim.not_found', 'no such SCIM endpoint');
const methodNotAllowed = () =>
  new GatehouseError('invalid', 'scim.method_not_allowed', 'method not allowed on this endpoint');

export async function handleScim(ctx: ScimContext, req: ScimRequest): Promise<ScimResponse> {
  const segments = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  const [resource, id, extra] = segments;
  const method = req.method.toUpperCase();
  if (extra !== undefined) throw notFound();
  switch (resource) {
    case 'ServiceProviderConfig':
      if (id !== undefined) throw notFound();
      if (method !== 'GET') throw methodNotAllowed();
      return { status: 200, body: serviceProviderConfig(ctx.baseUrl, ctx.maxPayloadSize) };
    case 'ResourceTypes':
      if (method !== 'GET') throw methodNotAllowed();
      return discovery(resourceTypes(ctx.baseUrl), id);
    case 'Schemas':
      if (method !== 'GET') throw methodNotAllowed();
      return discovery(schemas(ctx.baseUrl), id);
    case 'Bulk':
      if (id !== undefined) throw notFound();
      if (method !== 'POST') throw methodNotAllowed();
      return ctx.bulk(req);
    case 'Users':
      return users(ctx, req, method, id);
    case 'Groups':
      return groups(ctx, req, method, id);
    default:
      throw notFound();
  }
}

function discovery(all: Json[], id: string | undefined): ScimResponse {
  if (id === undefined) return { status: 200, body: listOf(all) };
  const found = all.find((r) => r['id'] === id);
  if (!found) throw new GatehouseError('not_found', 'scim.not_found', `no ${id}`);
  return { status: 200, body: found };
}

const listResponse = (total: number, query: ListQuery, resources: Json[]): Json => ({
  schemas: [LIST_RESPONSE],
  totalResults: total,
  startIndex: query.startIndex,
  itemsPerPage: resources.length,
  Resources: resources,
});

// ---- Users -----------------------------------------------------------------------------------

async function renderUsers(
  ctx: ScimContext,
  q: Queryable,
  list: ScimUser[],
  projection: Projection,
): Promise<Json[]> {
  // `groups` costs a query: returned when asked for by `attributes` (see the README).
  const groups = wants(projection, 'groups', false)
    ? await scimUserGroups(
        q,
        list.map((u) => u.user.id),
      )
    : undefined;
  return list.map((u) => project(renderUser(u, ctx.baseUrl, groups?.get(u.user.id)), projection));
}

async function userAnswer(
  ctx: ScimContext,
  q: Queryable,
  u: ScimUser,
  projection: Projection,
  status = 200,
): Promise<ScimResponse> {
  const [body] = await renderUsers(ctx, q, [u], projection);
  return { status, body, etag: etagOf(u.version), location: `${ctx.baseUrl}/Users/${u.user.id}` };
}

async function users(
  ctx: ScimContext,
  req: ScimRequest,
  method: string,
  id: string | undefined,
): Promise<ScimResponse> {
  const { db } = ctx;
  const projection = parseProjection(req.query.get('attributes'), req.query.get('excludedAttributes'));
  if (id === undefined && method === 'POST') {
    const input = userInput(canonicalUser(req.body));
    const created = await db.transaction((tx) => createScimUser(tx, req.audit, input));
    return userAnswer(ctx, db, created, projection, 201);
  }
  if (id === undefined || id === '.search') {
    if (id === '.search' ? method !== 'POST' : method !== 'GET') throw methodNotAllowed();
    const { query, projection: listProjection } = parseListRequest(
      id === '.search' ? searchBody(req.body) : req.query,
    );
    const { total, users: list } = await listScimUsers(db, query);
    return {
      status: 200,
      body: listResponse(total, query, await renderUsers(ctx, db, list, listProjection)),
    };
  }
  const version = ifVersion(req.ifMatch);
  switch (method) {
    case 'GET': {
      const u = await getScimUser(db, id);
      if (req.ifNoneMatch && ifVersion(req.ifNoneMatch) === u.version)
        return { status: 304, etag: etagOf(u.version) };
      return userAnswer(ctx, db, u, projection);
    }
    case 'PUT': {
      const input = userInput(canonicalUser(req.body));
      const u = await db.transaction((tx) =>
        replaceScimUser(tx, req.audit, id, input, { ifVersion: version }),
      );
      return userAnswer(ctx, db, u, projection);
    }
    case 'PATCH': {
      const ops = parsePatchRequest(req.body);
      const u = await db.transaction(async (tx) => {
        const current = await getScimUser(tx, id, { lock: true });
        const doc = canonicalUser(renderUser(current, ctx.baseUrl));
        const input = userInput(applyUserPatch(doc, ops));
        return replaceScimUser(tx, req.audit, id, input, { ifVersion: version });
      });
      return userAnswer(ctx, db, u, projection);
    }
    case 'DELETE':
      await db.transaction((tx) => deleteScimUser(tx, req.audit, id, { ifVersion: version }));
      return { status: 204 };
    default:
      throw methodNotAllowed();
  }
}

function searchBody(body: unknown): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidSyntax('expected a SearchRequest object');
  return body as Json;
}

// ---- Groups ----------------------------------------------------------------------------------

async function groupAnswer(
  ctx: ScimContext,
  q: Queryable,
  id: string,
  projection: Projection,
  status = 200,
): Promise<ScimResponse> {
  const group = await getScimGroup(q, id);
  const members = wants(projection, 'members', true) ? (await scimMembers(q, [id])).get(id) : undefined;
  return {
    status,
    body: project(renderGroup(group, members, ctx.baseUrl), projection),
    etag: etagOf(group.version),
    location: `${ctx.baseUrl}/Groups/${id}`,
  };
}

async function groups(
  ctx: ScimContext,
  req: ScimRequest,
  method: string,
  id: string | undefined,
): Promise<ScimResponse> {
  const { db } = ctx;
  const projection = parseProjection(req.query.get('attributes'), req.query.get('excludedAttributes'));
  if (id === undefined || id === '.search') {
    if (id === undefined && method === 'POST') {
      const input = groupInput(req.body);
      const created = await db.transaction((tx) => createScimGroup(tx, req.audit, input));
      return groupAnswer(ctx, db, created.id, projection, 201);
    }
    if (id === '.search' ? method !== 'POST' : method !== 'GET') throw methodNotAllowed();
    const { query, projection: listProjection } = parseListRequest(
      id === '.search' ? searchBody(req.body) : req.query,
    );
    const { total, groups: list } = await listScimGroups(db, query);
    const members = wants(listProjection, 'members', true)
      ? await scimMembers(
          db,
          list.map((g) => g.id),
        )
      : undefined;
    const resources = list.map((g) =>
      project(renderGroup(g, members?.get(g.id), ctx.baseUrl), listProjection),
    );
    return { status: 200, body: listResponse(total, query, resources) };
  }
  const version = ifVersion(req.ifMatch);
  switch (method) {
    case 'GET': {
      if (req.ifNoneMatch) {
        const group = await getScimGroup(db, id);
        if (ifVersion(req.ifNoneMatch) === group.version) return { status: 304, etag: etagOf(group.version) };
      }
      return groupAnswer(ctx, db, id, projection);
    }
    case 'PUT': {
      const input = groupInput(req.body);
      await db.transaction((tx) => replaceScimGroup(tx, req.audit, id, input, { ifVersion: version }));
      return groupAnswer(ctx, db, id, projection);
    }
    case 'PATCH': {
      const changes = groupChanges(parsePatchRequest(req.body));
      const group = await db.transaction((tx) =>
        patchScimGroup(tx, req.audit, id, changes, { ifVersion: version }),
      );
      // 204 unless the caller asks for the resource: a large group's members are not sent back.
      if (req.query.has('attributes') || req.query.has('excludedAttributes'))
        return groupAnswer(ctx, db, id, projection);
      return { status: 204, etag: etagOf(group.version) };
    }
    case 'DELETE':
      await db.transaction((tx) => deleteScimGroup(tx, req.audit, id, { ifVersion: version }));
      return { status: 204 };
    default:
      throw methodNotAllowed();
  }
}
