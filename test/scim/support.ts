import { afterAll, beforeAll } from 'vitest';
import { scimRoutes } from '../../providers/scim/index.ts';
import { apiRoutes } from '../../src/http/api/index.ts';
import { type RateLimiter, tokenBuckets } from '../../src/rate-limit.ts';
import { createScimToken } from '../../src/scim/tokens.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

export interface ScimAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read SCIM responses loosely, as JSON
export type Json = Record<string, any>;

/** A server with /scim/v2 (and the admin API) over one backend, and a SCIM token. */
export function useScim(backend: 'pglite' | 'postgres', options: { limiter?: RateLimiter } = {}) {
  const state = {} as { server: TestServer; token: string };
  beforeAll(async () => {
    state.server = await startTestServer({
      backend,
      // Unlimited unless a test brings its own limiter: tests send many requests at once.
      routers: (runtime) => [
        ...apiRoutes(runtime),
        ...scimRoutes(runtime, { limiter: options.limiter ?? tokenBuckets({ rate: 1e9, burst: 1e9 }) }),
      ],
    });
    state.token = (
      await state.server.runtime.db.transaction((tx) =>
        createScimToken(tx, { actor: 'test' }, { name: 'test idp' }),
      )
    ).token;
  });
  afterAll(() => state.server?.stop());

  async function call<T = Json>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ScimAnswer<T>> {
    const init: RequestInit = {
      method,
      headers: {
        authorization: `Bearer ${state.token}`,
        ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    };
    const url = `${state.server.url}/scim/v2${path}`;
    // A kept-alive connection the server closed while a test was busy elsewhere (its 5 s idle
    // timeout) resets before the request is read: send it again on a new one.
    const response = await fetch(url, init).catch((error: { cause?: { code?: string } }) => {
      if (error.cause?.code === 'ECONNRESET') return fetch(url, init);
      throw error;
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : undefined) as T,
      headers: response.headers,
    };
  }

  return {
    get server() {
      return state.server;
    },
    get db() {
      return state.server.runtime.db;
    },
    get token() {
      return state.token;
    },
    call,
    get: <T = Json>(path: string, headers?: Record<string, string>) =>
      call<T>('GET', path, undefined, headers),
    post: <T = Json>(path: string, body: unknown, headers?: Record<string, string>) =>
      call<T>('POST', path, body, headers),
    put: <T = Json>(path: string, body: unknown, headers?: Record<string, string>) =>
      call<T>('PUT', path, body, headers),
    patch: <T = Json>(path: string, body: unknown, headers?: Record<string, string>) =>
      call<T>('PATCH', path, body, headers),
    del: <T = Json>(path: string, headers?: Record<string, string>) =>
      call<T>('DELETE', path, undefined, headers),
  };
}

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const patchOp = (...Operations: Json[]) => ({ schemas: [PATCH_OP], Operations });
