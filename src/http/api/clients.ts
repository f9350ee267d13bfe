import { z } from 'zod';
import {
  createClient,
  deleteClient,
  getClient,
  listClients,
  rotateClientSecret,
  updateClient,
} from '../../clients/clients.ts';
import {
  CLIENT_SCOPES,
  createClientSchema,
  GRANT_TYPES,
  ID_TOKEN_ALGS,
  updateClientSchema,
} from '../../clients/schemas.ts';
import { type ApiRoute, defineRoute } from './route.ts';
import { requestSchemas, responseSchemas } from './schemas.ts';

const tag = 'clients';

// ---- wire schemas (registered under component names for the OpenAPI document) ----------------

const clientCreateBody = createClientSchema;
const clientUpdateBody = updateClientSchema;
requestSchemas.add(clientCreateBody, { id: 'ClientCreate' });
requestSchemas.add(clientUpdateBody, { id: 'ClientUpdate' });

const clientFields = {
  clientId: z.string(),
  public: z.boolean().describe('no secret: a browser or native application, PKCE required'),
  name: z.string(),
  applicationType: z.enum(['web', 'native']),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  grantTypes: z.array(z.enum(GRANT_TYPES)),
  scopes: z.array(z.enum(CLIENT_SCOPES)),
  firstParty: z.boolean(),
  backchannelLogoutUri: z.string().nullable(),
  idTokenAlg: z.enum(ID_TOKEN_ALGS),
  tokenEndpointAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']),
  accessTokenTtl: z.number().int().nullable(),
  refreshTokenTtl: z.number().int().nullable(),
  expiresAt: z.iso
    .datetime()
    .nullable()
    .describe('when a self-registered client (AWS SSO-OIDC) expires; null for the others'),
  version: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
};
const clientResponse = z.strictObject(clientFields);
const clientListResponse = z.strictObject({ clients: z.array(clientResponse) });
const createdClientResponse = z.strictObject({
  ...clientFields,
  clientSecret: z
    .string()
    .nullable()
    .describe('the secret (confidential clients): shown here once, never again (only its hash is kept)'),
});
const clientSecretResponse = z.strictObject({
  clientId: z.string(),
  clientSecret: z.string().describe('the new secret: shown here once; the old one no longer works'),
});
responseSchemas.add(clientResponse, { id: 'Client' });
responseSchemas.add(clientListResponse, { id: 'ClientList' });
responseSchemas.add(createdClientResponse, { id: 'CreatedClient' });
responseSchemas.add(clientSecretResponse, { id: 'ClientSecret' });

const id = (params: Record<string, string>) => params['clientId']!;

/** OAuth clients of the OpenID provider (`/oidc`). Managing them is an administrator's job: scope `admin`. */
export const clientRoutes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/clients',
    operationId: 'listClients',
    tag,
    summary: 'List OAuth clients',
    description: 'Ordered by client id. Never a secret.',
    scope: 'admin',
    status: 200,
    response: clientListResponse,
    handle: async ({ runtime }) => ({ clients: await listClients(runtime.db) }),
  }),
  defineRoute({
    method: 'post',
    path: '/clients',
    operationId: 'createClient',
    tag,
    summary: 'Register an OAuth client',
    description:
      'A confidential client (the default) gets a generated secret, in this response only. `public: true` registers a client without secret (PKCE required).',
    scope: 'admin',
    body: clientCreateBody,
    status: 201,
    response: createdClientResponse,
    etag: true,
    errors: [409],
    handle: ({ body, audit, runtime }) => runtime.db.transaction((tx) => createClient(tx, audit, body)),
  }),
  defineRoute({
    method: 'get',
    path: '/clients/{clientId}',
    operationId: 'getClient',
    tag,
    summary: 'Read an OAuth client',
    scope: 'admin',
    status: 200,
    response: clientResponse,
    etag: true,
    errors: [404],
    handle: ({ params, runtime }) => getClient(runtime.db, id(params)),
  }),
  defineRoute({
    method: 'patch',
    path: '/clients/{clientId}',
    operationId: 'updateClient',
    tag,
    summary: 'Change an OAuth client',
    description: 'Fields left out stay as they are. With `If-Match` a concurrent change is refused with 412.',
    scope: 'admin',
    body: clientUpdateBody,
    ifMatch: true,
    status: 200,
    response: clientResponse,
    etag: true,
    errors: [404, 412],
    handle: ({ params, body, ifMatch, audit, runtime }) =>
      runtime.db.transaction((tx) =>
        updateClient(tx, audit, id(params), body, ifMatch === undefined ? {} : { ifVersion: ifMatch }),
      ),
  }),
  defineRoute({
    method: 'post',
    path: '/clients/{clientId}/secret',
    operationId: 'rotateClientSecret',
    tag,
    summary: 'Give a confidential client a new secret',
    description: 'The new secret is in this response only; the old one stops working at once.',
    scope: 'admin',
    status: 200,
    response: clientSecretResponse,
    errors: [404, 409],
    handle: ({ params, audit, runtime }) =>
      runtime.db.transaction((tx) => rotateClientSecret(tx, audit, id(params))),
  }),
  defineRoute({
    method: 'delete',
    path: '/clients/{clientId}',
    operationId: 'deleteClient',
    tag,
    summary: 'Delete an OAuth client',
    description: 'Its grants, refresh tokens and codes go with it.',
    scope: 'admin',
    status: 204,
    errors: [404],
    handle: ({ params, audit, runtime }) =>
      runtime.db.transaction((tx) => deleteClient(tx, audit, id(params))),
  }),
];
