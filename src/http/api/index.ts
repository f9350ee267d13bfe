import type Router from '@koa/router';
import type { Runtime } from '../../runtime.ts';
import type { BearerVerifier } from '../../tokens/scopes.ts';
import { tokenVerifier } from '../../tokens/tokens.ts';
import { accessRoutes } from './access.ts';
import { auditRoutes } from './audit.ts';
import { clientRoutes } from './clients.ts';
import { connectorRoutes } from './connectors.ts';
import { groupRoutes } from './groups.ts';
import { memberRoutes } from './members.ts';
import { apiServerUrl, buildOpenApi } from './openapi.ts';
import { type ApiRoute, defineRoute } from './route.ts';
import { buildRouter } from './router.ts';
import { openApiResponse } from './schemas.ts';
import { scimTokenRoutes } from './scim-tokens.ts';
import { tokenRoutes } from './tokens.ts';
import { userRoutes } from './users.ts';

const documents = new Map<string, Record<string, unknown>>();

const openApiRoute = defineRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApi',
  tag: 'meta',
  summary: 'This API, described in OpenAPI 3.1',
  scope: null,
  status: 200,
  response: openApiResponse,
  async handle({ runtime }) {
    const serverUrl = apiServerUrl(runtime.config.url);
    let document = documents.get(serverUrl);
    if (!document) {
      document = buildOpenApi(apiRouteTable, { serverUrl });
      documents.set(serverUrl, document);
    }
    return document;
  },
});

/** Every route of the admin API: the router and the OpenAPI document are both made from it. */
export const apiRouteTable: readonly ApiRoute[] = [
  ...userRoutes,
  ...groupRoutes,
  ...memberRoutes,
  ...auditRoutes,
  ...tokenRoutes,
  ...scimTokenRoutes,
  ...connectorRoutes,
  ...accessRoutes,
  ...clientRoutes,
  openApiRoute,
];

export interface ApiOptions {
  /**
   * More bearer credential kinds, tried after admin API tokens (e.g. the OpenID provider's JWT
   * access tokens). Each returns a principal with its actor and scopes, or undefined.
   */
  extraVerifiers?: readonly BearerVerifier[];
}

/** The admin REST API under /api/v1, for createHandler(runtime, [...]). */
export function apiRoutes(runtime: Runtime, options: ApiOptions = {}): Router[] {
  const verifiers = [tokenVerifier(runtime.db), ...(options.extraVerifiers ?? [])];
  return [buildRouter(runtime, apiRouteTable, verifiers)];
}
