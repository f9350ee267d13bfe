import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiRoutes, apiRouteTable } from '../../../src/http/api/index.ts';
import { buildOpenApi } from '../../../src/http/api/openapi.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

type Json = Record<string, unknown>;
const document = buildOpenApi(apiRouteTable, { serverUrl: 'https://id.example.com/api/v1' }) as {
  openapi: string;
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; responses: Record<string, Json>; securitySchemes: Json };
};

/** What scripts rely on: these operations stay (more may come). */
const CONTRACT = [
  'get /users',
  'post /users',
  'get /users/{id}',
  'patch /users/{id}',
  'post /users/{id}/disable',
  'post /users/{id}/enable',
  'post /users/{id}/deprovision',
  'post /users/{id}/erase',
  'post /users/{id}/revoke-access',
  'get /users/{id}/groups',
  'get /groups',
  'post /groups',
  'get /groups/{id}',
  'patch /groups/{id}',
  'delete /groups/{id}',
  'get /groups/{id}/members',
  'put /groups/{id}/members/users/{userId}',
  'delete /groups/{id}/members/users/{userId}',
  'put /groups/{id}/members/groups/{groupId}',
  'delete /groups/{id}/members/groups/{groupId}',
  'get /audit',
  'get /tokens',
  'post /tokens',
  'delete /tokens/{id}',
  'get /scim/tokens',
  'post /scim/tokens',
  'delete /scim/tokens/{id}',
  'get /openapi.json',
];

/** Every `$ref` anywhere in a JSON value. */
function refs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refs(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refs(value, found);
    }
  }
  return found;
}

function resolve(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>(
      (node, part) => (node as Json | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')],
      document,
    );
}

describe('the OpenAPI document', () => {
  test('is a valid OpenAPI 3.1 document (the official schema)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as Json);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  test('has every route of the table, and nothing else', () => {
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(apiRouteTable.map((r) => `${r.method} ${r.path}`).sort());
    expect(documented).toEqual(expect.arrayContaining(CONTRACT));
  });

  test('every operation has an id, responses, security, and the parameters of its path', () => {
    const ids = new Set<string>();
    for (const route of apiRouteTable) {
      const operation = document.paths[route.path]![route.method] as {
        operationId: string;
        responses: Record<string, Json>;
        security: Record<string, string[]>[];
        parameters?: { name: string; in: string }[];
        requestBody?: { required: boolean };
      };
      const what = `${route.method} ${route.path}`;
      expect(ids.has(operation.operationId), what).toBe(false);
      ids.add(operation.operationId);
      expect(Object.keys(operation.responses), what).toContain(String(route.status));
      if (route.scope) {
        expect(operation.security, what).toEqual([{ bearerToken: [route.scope] }]);
        expect(Object.keys(operation.responses), what).toEqual(expect.arrayContaining(['401', '403']));
      } else {
        expect(operation.security, what).toEqual([]);
      }
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(
        (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
        what,
      ).toEqual(pathParams);
      if (route.body) {
        expect(operation.requestBody?.required, what).toBe(!route.bodyOptional);
        expect(Object.keys(operation.responses), what).toContain('400');
      }
      if (route.ifMatch)
        expect(
          operation.parameters?.some((p) => p.name === 'If-Match'),
          what,
        ).toBe(true);
    }
    expect(document.components.securitySchemes).toMatchObject({
      bearerToken: { type: 'http', scheme: 'bearer' },
    });
  });

  test('every $ref resolves; component schemas carry no $id or $schema', () => {
    const all = refs(document);
    expect(all.length).toBeGreaterThan(30);
    for (const ref of all) expect(resolve(ref), ref).toBeDefined();
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      expect(schema, name).not.toHaveProperty('$id');
      expect(schema, name).not.toHaveProperty('$schema');
    }
  });

  test('request bodies are the schemas that validate them (unknown fields refused, limits stated)', () => {
    const create = document.components.schemas['UserCreate'] as {
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { maxLength?: number }>;
    };
    expect(create.additionalProperties).toBe(false);
    expect(create.required).toEqual(['userName']);
    expect(create.properties['userName']?.maxLength).toBe(256);
    const users = document.paths['/users']!['get'] as { parameters: { name: string; schema: Json }[] };
    expect(users.parameters.find((p) => p.name === 'limit')?.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 200,
      default: 50,
    });
  });
});

describe('GET /api/v1/openapi.json', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      backend: 'pglite',
      env: { GATEHOUSE_URL: 'https://id.example.com' },
      routers: (runtime) => apiRoutes(runtime),
    });
  });
  afterAll(() => server.stop());

  test('serves the document without authentication, with the configured base URL', async () => {
    const response = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const served = (await response.json()) as { servers: { url: string }[] };
    expect(served.servers).toEqual([{ url: 'https://id.example.com/api/v1' }]);
    expect(served).toEqual(JSON.parse(JSON.stringify(document)));
  });
});
