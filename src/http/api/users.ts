import { resetPassword } from '../../auth/passwords.ts';
import { setupUrl } from '../../directory/bootstrap.ts';
import { effectiveGroups } from '../../directory/members.ts';
import {
  createUser,
  deprovisionUser,
  disableUser,
  enableUser,
  eraseUser,
  getUser,
  listUsers,
  updateUser,
} from '../../directory/users.ts';
import { revokeUserAccess } from '../../revocation/revoke.ts';
import { type ApiRoute, decodeCursor, defineRoute, encodeCursor, nameCursor } from './route.ts';
import {
  effectiveGroupsResponse,
  passwordResetBody,
  passwordResetResponse,
  statusChangeBody,
  userCreateBody,
  userListQuery,
  userPageResponse,
  userResponse,
  userUpdateBody,
} from './schemas.ts';

const tag = 'users';

export const userRoutes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/users',
    operationId: 'listUsers',
    tag,
    summary: 'List users',
    description: 'Ordered by user name, a page at a time; follow `nextCursor` until it is null.',
    scope: 'directory:read',
    query: userListQuery,
    status: 200,
    response: userPageResponse,
    async handle({ query, runtime }) {
      const page = await listUsers(runtime.db, {
        limit: query.limit,
        after: query.cursor ? decodeCursor(nameCursor, query.cursor) : undefined,
        status: query.status,
        source: query.source,
        search: query.search,
        groupId: query.group,
      });
      return { users: page.users, nextCursor: page.next ? encodeCursor(page.next) : null };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/users',
    operationId: 'createUser',
    tag,
    summary: 'Create a built-in user',
    scope: 'directory:write',
    body: userCreateBody,
    status: 201,
    response: userResponse,
    etag: true,
    errors: [409],
    handle: ({ body, audit, runtime }) => runtime.db.transaction((tx) => createUser(tx, audit, body)),
  }),
  defineRoute({
    method: 'get',
    path: '/users/{id}',
    operationId: 'getUser',
    tag,
    summary: 'Read a user',
    scope: 'directory:read',
    status: 200,
    response: userResponse,
    etag: true,
    errors: [404],
    handle: ({ params, runtime }) => getUser(runtime.db, params['id']!),
  }),
  defineRoute({
    method: 'patch',
    path: '/users/{id}',
    operationId: 'updateUser',
    tag,
    summary: "Change a user's profile",
    description:
      'Fields present are set, `null` clears an optional field, absent fields stay. With `If-Match` (the ETag of a read) the change is refused with 412 when the user changed meanwhile.',
    scope: 'directory:write',
    body: userUpdateBody,
    ifMatch: true,
    status: 200,
    response: userResponse,
    etag: true,
    errors: [404, 409, 412],
    handle: ({ params, body, ifMatch, audit, runtime }) =>
      runtime.db.transaction((tx) =>
        updateUser(tx, audit, params['id']!, body, ifMatch === undefined ? {} : { ifVersion: ifMatch }),
      ),
  }),
  defineRoute({
    method: 'post',
    path: '/users/{id}/disable',
    operationId: 'disableUser',
    tag,
    summary: 'Disable a user',
    description:
      'The user can no longer sign in, and everything issued to them so far stops working. Idempotent.',
    scope: 'directory:write',
    body: statusChangeBody,
    bodyOptional: true,
    status: 200,
    response: userResponse,
    etag: true,
    errors: [404, 409],
    handle: ({ params, body, audit, runtime }) =>
      runtime.db.transaction((tx) => disableUser(tx, audit, params['id']!, body)),
  }),
  defineRoute({
    method: 'post',
    path: '/users/{id}/enable',
    operationId: 'enableUser',
    tag,
    summary: 'Enable a disabled user',
    description: 'What was issued before the user was disabled stays invalid. Idempotent.',
    scope: 'directory:write',
    body: statusChangeBody,
    bodyOptional: true,
    status: 200,
    response: userResponse,
    etag: true,
    errors: [404, 409],
    handle: ({ params, body, audit, runtime }) =>
      runtime.db.transaction((tx) => enableUser(tx, audit, params['id']!, body)),
  }),
  defineRoute({
    method: 'post',
    path: '/users/{id}/revoke-access',
    operationId: 'revokeUserAccess',
    tag,
    summary: 'Sign a user out everywhere',
    description:
      'Ends every session, token and credential the user holds, on every node, without disabling them (a lost laptop). What they sign in to afterwards works.',
    scope: 'directory:write',
    body: statusChangeBody,
    bodyOptional: true,
    status: 200,
    response: userResponse,
    etag: true,
    errors: [404],
    handle: ({ params, body, audit, runtime }) =>
      runtime.db.transaction(async (tx) => {
        await revokeUserAccess(tx, audit, params['id']!, body?.reason ?? 'revoked by an administrator');
        return getUser(tx, params['id']!);
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/users/{id}/deprovision',
    operationId: 'deprovisionUser',
    tag,
    summary: 'Deprovision a user',
    description:
      'For good: the user is kept as a tombstone for the audit trail and their user name is free again. The root administrator cannot be deprovisioned. Idempotent.',
    scope: 'directory:write',
    body: statusChangeBody,
    bodyOptional: true,
    status: 200,
    response: userResponse,
    etag: true,
    errors: [403, 404, 409],
    handle: ({ params, body, audit, runtime }) =>
      runtime.db.transaction((tx) => deprovisionUser(tx, audit, params['id']!, body)),
  }),
  defineRoute({
    method: 'post',
    path: '/users/{id}/erase',
    operationId: 'eraseUser',
    tag,
    summary: "Erase a deprovisioned user's personal data",
    description:
      'Right to erasure: names, emails, attributes and credentials go; the id stays so that the audit trail still resolves. Only for deprovisioned users. Idempotent.',
    scope: 'directory:write',
    status: 200,
    response: userResponse,
    etag: true,
    errors: [404, 409],
    handle: ({ params, audit, runtime }) =>
      runtime.db.transaction((tx) => eraseUser(tx, audit, params['id']!)),
  }),
  defineRoute({
    method: 'post',
    path: '/users/{id}/reset-password',
    operationId: 'resetPassword',
    tag,
    summary: "Reset a built-in user's password",
    description:
      'With `temporaryPassword` (policy applies), the user must change it at the next sign-in; without it, the answer carries a one-time link (valid one hour) for the user to choose one. Either way the current password stops working and sessions issued so far end.',
    scope: 'directory:write',
    body: passwordResetBody,
    bodyOptional: true,
    status: 200,
    response: passwordResetResponse,
    errors: [404, 409],
    async handle({ params, body, audit, runtime }) {
      const { link } = await runtime.db.transaction((tx) =>
        resetPassword(tx, audit, params['id']!, {
          temporaryPassword: body?.temporaryPassword,
          policy: runtime.config.passwordPolicy,
        }),
      );
      return {
        setupLink: link ? setupUrl(runtime.config.url, link.token) : null,
        expiresAt: link ? link.expiresAt.toISOString() : null,
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/users/{id}/groups',
    operationId: 'listUserGroups',
    tag,
    summary: 'Every group a user is in, directly or through nested groups',
    scope: 'directory:read',
    status: 200,
    response: effectiveGroupsResponse,
    errors: [404],
    async handle({ params, runtime }) {
      const user = await getUser(runtime.db, params['id']!);
      return { groups: await effectiveGroups(runtime.db, user.id) };
    },
  }),
];
