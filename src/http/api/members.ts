import { getGroup } from '../../directory/groups.ts';
import { addMember, listMembers, type Member, removeMember } from '../../directory/members.ts';
import { type ApiRoute, decodeCursor, defineRoute, encodeCursor, memberCursor } from './route.ts';
import { memberListQuery, memberPageResponse, membershipChangeResponse } from './schemas.ts';

const tag = 'memberships';

/** PUT (idempotent add) and DELETE (remove) of one kind of member. */
function membershipRoutes(kind: 'users' | 'groups'): ApiRoute[] {
  const param = kind === 'users' ? 'userId' : 'groupId';
  const path = `/groups/{id}/members/${kind}/{${param}}`;
  const member = (params: Record<string, string>): Member =>
    kind === 'users' ? { userId: params['userId']! } : { groupId: params['groupId']! };
  const what = kind === 'users' ? 'a user' : 'a group (nesting)';
  return [
    defineRoute({
      method: 'put',
      path,
      operationId: kind === 'users' ? 'addUserMember' : 'addGroupMember',
      tag,
      summary: `Add ${what} to a group`,
      description:
        kind === 'users'
          ? 'Idempotent. A deprovisioned user cannot be added (409).'
          : 'Idempotent. Nesting that would make a cycle, at any depth, is refused (409 `directory.membership_cycle`).',
      scope: 'directory:write',
      status: 200,
      response: membershipChangeResponse,
      errors: [404, 409],
      handle: async ({ params, audit, runtime }) => ({
        changed: await runtime.db.transaction((tx) => addMember(tx, audit, params['id']!, member(params))),
      }),
    }),
    defineRoute({
      method: 'delete',
      path,
      operationId: kind === 'users' ? 'removeUserMember' : 'removeGroupMember',
      tag,
      summary: `Remove ${what} from a group`,
      description: 'Idempotent: removing a member that is not there changes nothing.',
      scope: 'directory:write',
      status: 200,
      response: membershipChangeResponse,
      errors: [404],
      handle: async ({ params, audit, runtime }) => ({
        changed: await runtime.db.transaction((tx) => removeMember(tx, audit, params['id']!, member(params))),
      }),
    }),
  ];
}

export const memberRoutes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/groups/{id}/members',
    operationId: 'listGroupMembers',
    tag,
    summary: 'Direct members of a group (users and groups)',
    description: 'Groups first, then users; a page at a time; follow `nextCursor` until it is null.',
    scope: 'directory:read',
    query: memberListQuery,
    status: 200,
    response: memberPageResponse,
    errors: [404],
    async handle({ params, query, runtime }) {
      const group = await getGroup(runtime.db, params['id']!);
      const page = await listMembers(runtime.db, group.id, {
        limit: query.limit,
        after: query.cursor ? decodeCursor(memberCursor, query.cursor) : undefined,
      });
      return { members: page.members, nextCursor: page.next ? encodeCursor(page.next) : null };
    },
  }),
  ...membershipRoutes('users'),
  ...membershipRoutes('groups'),
];
