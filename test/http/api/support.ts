import { afterAll, beforeAll, expect } from 'vitest';
import { apiRoutes, apiRouteTable } from '../../../src/http/api/index.ts';
import { API_PREFIX, type ApiRoute } from '../../../src/http/api/route.ts';
import { errorResponse } from '../../../src/http/api/schemas.ts';
import { appFastRoutes } from '../../../src/http/routers.ts';
import { SCOPES, type Scope } from '../../../src/tokens/scopes.ts';
import { createToken } from '../../../src/tokens/tokens.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  token?: string | undefined;
  /** JSON-encoded unless a string (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** The route of the table that answers METHOD PATH (a path below /api/v1, query string allowed). */
export function routeFor(method: string, path: string): ApiRoute | undefined {
  const bare = path.split('?')[0]!;
  return apiRouteTable.find(
    (route) =>
      route.method === method.toLowerCase() &&
      new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}$`).test(bare),
  );
}

/** An example path of a route, ids filled with fresh UUIDs. */
export const examplePath = (route: ApiRoute) => route.path.replace(/\{\w+\}/g, () => crypto.randomUUID());

/**
 * A server with the admin API over one backend, and a token per scope. `call` checks every answer
 * against the route's declared response schema (or the error schema), so the OpenAPI document,
 * generated from the same schemas, is checked by every test.
 */
export function useApi(backend: 'pglite' | 'postgres', options: { fast?: boolean } = {}) {
  const state = {} as {
    server: TestServer;
    tokens: Record<Scope, string>;
  };
  beforeAll(async () => {
    state.server = await startTestServer({
      backend,
      routers: (runtime) => apiRoutes(runtime),
      ...(options.fast ? { fast: appFastRoutes } : {}),
    });
    const tokens = {} as Record<Scope, string>;
    for (const scope of SCOPES) {
      tokens[scope] = (
        await state.server.runtime.db.transaction((tx) =>
          createToken(tx, { actor: 'test' }, { name: `test ${scope}`, scopes: [scope] }),
        )
      ).token;
    }
    state.tokens = tokens;
  });
  afterAll(() => state.server?.stop());

  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${state.server.url}${API_PREFIX}${path}`, { method, headers, body });
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : undefined;
    const route = routeFor(method, path);
    if (route && response.status === route.status) {
      if (route.response) route.response.parse(parsed);
      else expect(text).toBe('');
    } else if (response.status >= 400 && response.status !== 405) {
      errorResponse.parse(parsed);
      expect(parsed.error.requestId).toBe(response.headers.get('x-request-id'));
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  return {
    get server() {
      return state.server;
    },
    get tokens() {
      return state.tokens;
    },
    call,
    /** Shorthands with the admin token. */
    get: <T = Record<string, unknown>>(path: string, options: CallOptions = {}) =>
      call<T>('GET', path, { token: state.tokens.admin, ...options }),
    post: <T = Record<string, unknown>>(path: string, body?: unknown, options: CallOptions = {}) =>
      call<T>('POST', path, { token: state.tokens.admin, body, ...options }),
    patch: <T = Record<string, unknown>>(path: string, body: unknown, options: CallOptions = {}) =>
      call<T>('PATCH', path, { token: state.tokens.admin, body, ...options }),
    put: <T = Record<string, unknown>>(path: string, options: CallOptions = {}) =>
      call<T>('PUT', path, { token: state.tokens.admin, ...options }),
    del: <T = Record<string, unknown>>(path: string, options: CallOptions = {}) =>
      call<T>('DELETE', path, { token: state.tokens.admin, ...options }),
  };
}

export const errorCode = (answer: Answer) => (answer.body as { error?: { code?: string } }).error?.code;
