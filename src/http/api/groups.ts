import { createGroup, deleteGroup, getGroup, listGroups, updateGroup } from '../../directory/groups.ts';
import { type ApiRoute, decodeCursor, defineRoute, encodeCursor, nameCursor } from './route.ts';
import {
  groupCreateBody,
  groupListQuery,
  groupPageResponse,
  groupResponse,
  groupUpdateBody,
} from './schemas.ts';

const tag = 'groups';

export const groupRoutes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/groups',
    operationId: 'listGroups',
    tag,
    summary: 'List groups',
    description: 'Ordered by name, a page at a time; follow `nextCursor` until it is null.',
    scope: 'directory:read',
    query: groupListQuery,
    status: 200,
    response: groupPageResponse,
    async handle({ query, runtime }) {
      const page = await listGroups(runtime.db, {
        limit: query.limit,
        after: query.cursor ? decodeCursor(nameCursor, query.cursor) : undefined,
        source: query.source,
        search: query.search,
      });
      return { groups: page.groups, nextCursor: page.next ? encodeCursor(page.next) : null };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/groups',
    operationId: 'createGroup',
    tag,
    summary: 'Create a built-in group',
    scope: 'directory:write',
    body: groupCreateBody,
    status: 201,
    response: groupResponse,
    etag: true,
    errors: [409],
    handle: ({ body, audit, runtime }) => runtime.db.transaction((tx) => createGroup(tx, audit, body)),
  }),
  defineRoute({
    method: 'get',
    path: '/groups/{id}',
    operationId: 'getGroup',
    tag,
    summary: 'Read a group',
    scope: 'directory:read',
    status: 200,
    response: groupResponse,
    etag: true,
    errors: [404],
    handle: ({ params, runtime }) => getGroup(runtime.db, params['id']!),
  }),
  defineRoute({
    method: 'patch',
    path: '/groups/{id}',
    operationId: 'updateGroup',
    tag,
    summary: 'Rename a group or change its description',
    description:
      'With `If-Match` (the ETag of a read) the change is refused with 412 when the group changed meanwhile.',
    scope: 'directory:write',
    body: groupUpdateBody,
    ifMatch: true,
    status: 200,
    response: groupResponse,
    etag: true,
    errors: [404, 409, 412],
    handle: ({ params, body, ifMatch, audit, runtime }) =>
      runtime.db.transaction((tx) =>
        updateGroup(tx, audit, params['id']!, body, ifMatch === undefined ? {} : { ifVersion: ifMatch }),
      ),
  }),
  defineRoute({
    method: 'delete',
    path: '/groups/{id}',
    operationId: 'deleteGroup',
    tag,
    summary: 'Delete a group and its memberships',
    description: 'Everyone who was in it, directly or through nesting, loses what they held through it.',
    scope: 'directory:write',
    status: 204,
    errors: [404],
    handle: ({ params, audit, runtime }) =>
      runtime.db.transaction((tx) => deleteGroup(tx, audit, params['id']!)),
  }),
];
