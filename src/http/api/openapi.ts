import { z } from 'zod';
import { SCOPE_DESCRIPTIONS, SCOPES } from '../../tokens/scopes.ts';
import { API_PREFIX, type ApiRoute } from './route.ts';
import { requestSchemas, responseSchemas } from './schemas.ts';

type Json = Record<string, unknown>;

const SECURITY_SCHEME = 'bearerToken';
/** Path parameters that are not UUIDs (every other one is). */
const PATH_PARAMETERS: Record<string, Json> = {
  clientId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' },
};
const componentRef = (id: string) => `#/components/schemas/${id}`;

const TAGS: Record<string, string> = {
  users: 'People in the directory and their lifecycle',
  groups: 'Groups (built-in, or synced from a directory)',
  memberships: 'Who is in which group; groups nest',
  audit: 'The append-only, hash-chained audit log',
  tokens: 'Admin API tokens',
  clients: 'OAuth clients of the OpenID provider (`/oidc`)',
  meta: 'About this API',
};

const ERRORS: Record<number, string> = {
  400: 'The request is malformed: bad JSON, unknown fields, values out of range (`request.*`)',
  401: 'No valid bearer token (`auth.invalid_token`); see `WWW-Authenticate`',
  403: 'The token lacks the scope (`auth.insufficient_scope`, the scope in `details.scope`), or the operation is refused',
  404: 'No such resource (an id that is not a UUID included)',
  409: 'The change conflicts with the current state (a name in use, a nesting cycle, a deprovisioned user…)',
  412: 'If-Match names a version that is no longer current (`directory.version_mismatch`)',
  413: 'The body is larger than the configured limit (`request.too_large`)',
};

/**
 * The OpenAPI 3.1 document of a route table, generated from the route definitions and the zod
 * schemas that validate the requests (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
 */
export function buildOpenApi(routes: readonly ApiRoute[], options: { serverUrl: string }): Json {
  const schemas: Record<string, Json> = {};
  for (const [registry, io] of [
    [requestSchemas, 'input'],
    [responseSchemas, 'output'],
  ] as const) {
    const generated = z.toJSONSchema(registry, { io, uri: componentRef }).schemas as Record<string, Json>;
    for (const [id, schema] of Object.entries(generated)) {
      if (schemas[id]) throw new Error(`OpenAPI: two schemas are named ${id}`);
      schemas[id] = tidy(schema) as Json;
    }
  }
  const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const id = (requestSchemas.get(schema) ?? responseSchemas.get(schema))?.id;
    return id ? { $ref: componentRef(id) } : (tidy(z.toJSONSchema(schema, { io })) as Json);
  };

  const paths: Record<string, Record<string, Json>> = {};
  const operationIds = new Set<string>();
  for (const route of routes) {
    if (operationIds.has(route.operationId)) throw new Error(`OpenAPI: duplicate ${route.operationId}`);
    operationIds.add(route.operationId);
    const parameters: Json[] = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: route.pathSchemas?.[name!] ?? PATH_PARAMETERS[name!] ?? { type: 'string', format: 'uuid' },
    }));
    if (route.query) {
      const query = tidy(z.toJSONSchema(route.query, { io: 'input' })) as {
        properties?: Record<string, Json>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        const { description, ...rest } = schema;
        parameters.push({
          name,
          in: 'query',
          required: query.required?.includes(name) ?? false,
          ...(description ? { description } : {}),
          schema: rest,
        });
      }
    }
    if (route.ifMatch) {
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: false,
        description:
          'The ETag of a read (`W/"<version>"`): the change applies only to that version. `*`: any.',
        schema: { type: 'string' },
      });
    }

    const responses: Record<string, Json> = {};
    const success: Json = {
      description: route.status === 201 ? 'Created' : route.status === 204 ? 'Done' : 'OK',
    };
    if (route.etag) {
      success['headers'] = {
        ETag: { description: 'W/"<version>": send it back as If-Match', schema: { type: 'string' } },
      };
    }
    if (route.response)
      success['content'] = { 'application/json': { schema: schemaOf(route.response, 'output') } };
    responses[String(route.status)] = success;
    const errors = new Set<number>(route.errors ?? []);
    if (route.query || route.body || route.ifMatch) errors.add(400);
    if (route.body) errors.add(413);
    if (route.scope) {
      errors.add(401);
      errors.add(403);
    }
    for (const status of [...errors].sort((a, b) => a - b))
      responses[String(status)] = { $ref: `#/components/responses/E${status}` };

    const operation: Json = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description || route.scope
        ? {
            description: [route.description, route.scope && `Scope: \`${route.scope}\` (or \`admin\`).`]
              .filter(Boolean)
              .join('\n\n'),
          }
        : {}),
      tags: [route.tag],
      security: route.scope ? [{ [SECURITY_SCHEME]: [route.scope] }] : [],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: !route.bodyOptional,
              content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }

  const usedTags = [...new Set(routes.map((r) => r.tag))];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse admin API',
      version: '1',
      description: [
        'The directory (users, groups, memberships), the audit log and admin API tokens.',
        "Authenticate with `Authorization: Bearer <token>`; tokens come from `gatehouse tokens create` or `POST /tokens`, or are JWT access tokens of Gatehouse's OpenID provider for the resource `{GATEHOUSE_URL}/api` (client credentials, or an administrator's sign-in). Scopes:",
        ...SCOPES.map((s) => `- \`${s}\`: ${SCOPE_DESCRIPTIONS[s]}`),
        'Errors are `{"error":{"code","message","requestId","details"}}` with a stable code.',
      ].join('\n'),
    },
    servers: [{ url: options.serverUrl }],
    tags: usedTags.map((name) => ({ name, ...(TAGS[name] ? { description: TAGS[name] } : {}) })),
    paths,
    components: {
      schemas,
      responses: Object.fromEntries(
        Object.entries(ERRORS).map(([status, description]) => [
          `E${status}`,
          { description, content: { 'application/json': { schema: { $ref: componentRef('Error') } } } },
        ]),
      ),
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An admin API token (`ght_…`) or an OAuth access token from `/oidc` for the resource `{GATEHOUSE_URL}/api`; the scope each operation needs is listed with it.',
        },
      },
    },
  };
}

/** `${url}/api/v1`, where the paths of the document live. */
export const apiServerUrl = (baseUrl: string) => `${baseUrl.replace(/\/+$/, '')}${API_PREFIX}`;

/**
 * Drops what does not belong in an OpenAPI component (`$schema`, `$id`) and the long regular
 * expressions zod adds beside `format: uuid` / `format: date-time` (the format says it), and the
 * safe-integer bounds it adds to every integer.
 */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  const object = node as Json;
  const formatted = object['format'] === 'uuid' || object['format'] === 'date-time';
  for (const [key, value] of Object.entries(object)) {
    if (key === '$schema' || key === '$id') continue;
    if (key === 'pattern' && formatted) continue;
    if (key === 'minimum' && value === Number.MIN_SAFE_INTEGER) continue;
    if (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) continue;
    out[key] = tidy(value);
  }
  return out;
}
