import { createToken, listTokens, revokeToken } from '../../tokens/tokens.ts';
import { type ApiRoute, defineRoute } from './route.ts';
import { createdTokenResponse, tokenCreateBody, tokenListResponse } from './schemas.ts';

const tag = 'tokens';

export const tokenRoutes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/tokens',
    operationId: 'listTokens',
    tag,
    summary: 'List admin API tokens',
    description: 'Newest first, revoked and expired ones included. Never the token itself.',
    scope: 'admin',
    status: 200,
    response: tokenListResponse,
    handle: async ({ runtime }) => ({ tokens: await listTokens(runtime.db) }),
  }),
  defineRoute({
    method: 'post',
    path: '/tokens',
    operationId: 'createToken',
    tag,
    summary: 'Create an admin API token',
    description:
      'The response holds the token, once: store it at once, it cannot be read again (only its hash is kept). Without `expiresAt` it works until revoked.',
    scope: 'admin',
    body: tokenCreateBody,
    status: 201,
    response: createdTokenResponse,
    handle: ({ body, audit, runtime }) => runtime.db.transaction((tx) => createToken(tx, audit, body)),
  }),
  defineRoute({
    method: 'delete',
    path: '/tokens/{id}',
    operationId: 'revokeToken',
    tag,
    summary: 'Revoke an admin API token',
    description: 'It stops working at once, on every node. Idempotent.',
    scope: 'admin',
    status: 204,
    errors: [404],
    handle: ({ params, audit, runtime }) =>
      runtime.db.transaction((tx) => revokeToken(tx, audit, params['id']!)),
  }),
];
