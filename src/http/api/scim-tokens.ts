import { createScimToken, listScimTokens, revokeScimToken } from '../../scim/tokens.ts';
import { type ApiRoute, defineRoute } from './route.ts';
import { createdTokenResponse, scimTokenCreateBody, tokenListResponse } from './schemas.ts';

const tag = 'scim';

export const scimTokenRoutes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/scim/tokens',
    operationId: 'listScimTokens',
    tag,
    summary: 'List SCIM provisioning tokens',
    description: 'Newest first, revoked and expired ones included. Never the token itself.',
    scope: 'admin',
    status: 200,
    response: tokenListResponse,
    handle: async ({ runtime }) => ({ tokens: await listScimTokens(runtime.db) }),
  }),
  defineRoute({
    method: 'post',
    path: '/scim/tokens',
    operationId: 'createScimToken',
    tag,
    summary: 'Create a SCIM provisioning token',
    description:
      'A bearer token for /scim/v2 and nothing else. The response holds it, once (only its hash is kept). It expires (default 90 days, at most a year); at most two are active at a time (409 `scim.too_many_tokens`): create the new one, switch the sender, revoke the old one.',
    scope: 'admin',
    body: scimTokenCreateBody,
    status: 201,
    response: createdTokenResponse,
    errors: [409],
    handle: ({ body, audit, runtime }) => runtime.db.transaction((tx) => createScimToken(tx, audit, body)),
  }),
  defineRoute({
    method: 'delete',
    path: '/scim/tokens/{id}',
    operationId: 'revokeScimToken',
    tag,
    summary: 'Revoke a SCIM provisioning token',
    description: 'It stops working at once, on every node. Idempotent.',
    scope: 'admin',
    status: 204,
    errors: [404],
    handle: ({ params, audit, runtime }) =>
      runtime.db.transaction((tx) => revokeScimToken(tx, audit, params['id']!)),
  }),
];
