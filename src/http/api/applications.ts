import {
  createApplication,
  deleteApplication,
  getApplication,
  listApplications,
  updateApplication,
} from '../../apps/apps.ts';
import { assignApplication, listAssignments, unassignApplication } from '../../apps/assignments.ts';
import type { Member } from '../../directory/members.ts';
import { type ApiRoute, defineRoute } from './route.ts';
import {
  applicationAssignmentListResponse,
  applicationCreateBody,
  applicationListResponse,
  applicationResponse,
  applicationUpdateBody,
  membershipChangeResponse,
} from './schemas.ts';

const tag = 'applications';

function assignmentRoutes(kind: 'users' | 'groups'): ApiRoute[] {
  const param = kind === 'users' ? 'userId' : 'groupId';
  const path = `/applications/{id}/assignments/${kind}/{${param}}`;
  const member = (params: Record<string, string>): Member =>
    kind === 'users' ? { userId: params['userId']! } : { groupId: params['groupId']! };
  const what = kind === 'users' ? 'a user' : 'a group (its members at any depth of nesting)';
  return [
    defineRoute({
      method: 'put',
      path,
      operationId: kind === 'users' ? 'assignApplicationToUser' : 'assignApplicationToGroup',
      tag,
      summary: `Let ${what} use an application`,
      description: 'Idempotent (`{"changed": false}` when it was assigned already).',
      scope: 'directory:write',
      status: 200,
      response: membershipChangeResponse,
      errors: [404],
      handle: async ({ params, audit, runtime }) => ({
        changed: await runtime.db.transaction((tx) =>
          assignApplication(tx, audit, params['id']!, member(params)),
        ),
      }),
    }),
    defineRoute({
      method: 'delete',
      path,
      operationId: kind === 'users' ? 'unassignApplicationFromUser' : 'unassignApplicationFromGroup',
      tag,
      summary: `Stop ${what} using an application`,
      description: 'Idempotent. Portal sessions already open keep what they signed in to until they end.',
      scope: 'directory:write',
      status: 200,
      response: membershipChangeResponse,
      errors: [404],
      handle: async ({ params, audit, runtime }) => ({
        changed: await runtime.db.transaction((tx) =>
          unassignApplication(tx, audit, params['id']!, member(params)),
        ),
      }),
    }),
  ];
}

export const applicationRoutes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/applications',
    operationId: 'listApplications',
    tag,
    summary: 'List applications (SAML and OIDC)',
    scope: 'directory:read',
    status: 200,
    response: applicationListResponse,
    handle: async ({ runtime }) => ({ applications: await listApplications(runtime.db) }),
  }),
  defineRoute({
    method: 'post',
    path: '/applications',
    operationId: 'createApplication',
    tag,
    summary: 'Register an application',
    description:
      'A SAML application carries its service provider in `saml` (entity ID, ACS URLs, NameID format, signing, encryption, attributes, template); an OIDC application names its OAuth client in `oidcClientId`.',
    scope: 'directory:write',
    body: applicationCreateBody,
    status: 201,
    response: applicationResponse,
    etag: true,
    errors: [409],
    handle: ({ body, audit, runtime }) => runtime.db.transaction((tx) => createApplication(tx, audit, body)),
  }),
  defineRoute({
    method: 'get',
    path: '/applications/{id}',
    operationId: 'getApplication',
    tag,
    summary: 'Read an application',
    scope: 'directory:read',
    status: 200,
    response: applicationResponse,
    etag: true,
    errors: [404],
    handle: ({ params, runtime }) => getApplication(runtime.db, params['id']!),
  }),
  defineRoute({
    method: 'patch',
    path: '/applications/{id}',
    operationId: 'updateApplication',
    tag,
    summary: 'Change an application',
    description:
      '`saml`, when given, replaces the SAML settings as a whole. With `If-Match` a stale version is 412.',
    scope: 'directory:write',
    body: applicationUpdateBody,
    ifMatch: true,
    status: 200,
    response: applicationResponse,
    etag: true,
    errors: [404, 409, 412],
    handle: ({ params, body, ifMatch, audit, runtime }) =>
      runtime.db.transaction((tx) =>
        updateApplication(
          tx,
          audit,
          params['id']!,
          body,
          ifMatch === undefined ? {} : { ifVersion: ifMatch },
        ),
      ),
  }),
  defineRoute({
    method: 'delete',
    path: '/applications/{id}',
    operationId: 'deleteApplication',
    tag,
    summary: 'Delete an application and its assignments',
    scope: 'directory:write',
    status: 204,
    errors: [404],
    handle: ({ params, audit, runtime }) =>
      runtime.db.transaction((tx) => deleteApplication(tx, audit, params['id']!)),
  }),
  defineRoute({
    method: 'get',
    path: '/applications/{id}/assignments',
    operationId: 'listApplicationAssignments',
    tag,
    summary: 'Who is assigned an application (users and groups)',
    scope: 'directory:read',
    status: 200,
    response: applicationAssignmentListResponse,
    errors: [404],
    handle: async ({ params, runtime }) => {
      await getApplication(runtime.db, params['id']!);
      return { assignments: await listAssignments(runtime.db, params['id']!) };
    },
  }),
  ...assignmentRoutes('users'),
  ...assignmentRoutes('groups'),
];
