import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { queryAudit } from '../../../src/audit/audit.ts';
import { apiRouteTable } from '../../../src/http/api/index.ts';
import { buildRouter } from '../../../src/http/api/router.ts';
import { hasScope, SCOPES } from '../../../src/tokens/scopes.ts';
import { createToken, hashToken, revokeToken } from '../../../src/tokens/tokens.ts';
import { backends } from '../../support/backends.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { errorCode, examplePath, useApi } from './support.ts';

const scoped = apiRouteTable.filter((route) => route.scope !== null);

describe.each(backends)('admin API authentication on $name', (backend) => {
  const api = useApi(backend.name);

  test('no token, a malformed header, an unknown token: 401 auth.invalid_token with WWW-Authenticate', async () => {
    const missing = await api.call('GET', '/users');
    expect(missing.status).toBe(401);
    expect(errorCode(missing)).toBe('auth.invalid_token');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');

    const headers = [
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      'Bearer',
      'Bearer two tokens',
      `Bearer ${api.tokens.admin.slice(0, -2)}`,
      `Bearer ght_${'A'.repeat(43)}`,
      `Bearer ${hashToken(api.tokens.admin)}`,
    ];
    for (const authorization of headers) {
      const answer = await api.call('GET', '/users', { headers: { authorization } });
      expect(answer.status, authorization).toBe(401);
      expect(errorCode(answer)).toBe('auth.invalid_token');
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="invalid_token"');
    }
    // The scheme is case-insensitive (RFC 7235).
    expect(
      (await api.call('GET', '/users', { headers: { authorization: `bearer ${api.tokens.admin}` } })).status,
    ).toBe(200);
  });

  test('expired and revoked tokens are 401; revocation takes effect on the next request', async () => {
    const db = api.server.runtime.db;
    const made = await db.transaction((tx) =>
      createToken(tx, { actor: 'test' }, { name: 'soon gone', scopes: ['directory:read'] }),
    );
    expect((await api.call('GET', '/users', { token: made.token })).status).toBe(200);
    await db.query(`update api_tokens set expires_at = now() - interval '1 second' where id = $1`, [made.id]);
    expect(errorCode(await api.call('GET', '/users', { token: made.token }))).toBe('auth.invalid_token');

    const other = await db.transaction((tx) =>
      createToken(tx, { actor: 'test' }, { name: 'revoked', scopes: ['directory:read'] }),
    );
    expect((await api.call('GET', '/users', { token: other.token })).status).toBe(200);
    await db.transaction((tx) => revokeToken(tx, { actor: 'test' }, other.id));
    const answer = await api.call('GET', '/users', { token: other.token });
    expect(answer.status).toBe(401);
    expect(errorCode(answer)).toBe('auth.invalid_token');
  });

  test('every authenticated route refuses a request without a token (401)', async () => {
    expect(scoped.length).toBeGreaterThan(20);
    for (const route of scoped) {
      const answer = await api.call(route.method.toUpperCase(), examplePath(route), {
        body: route.body && {},
      });
      expect(answer.status, `${route.method} ${route.path}`).toBe(401);
      expect(errorCode(answer)).toBe('auth.invalid_token');
    }
  });

  test('every route refuses a token lacking its scope (403 naming the scope), before reading anything', async () => {
    for (const route of scoped) {
      const lacking = SCOPES.filter((scope) => !hasScope([scope], route.scope!));
      expect(lacking.length).toBeGreaterThan(0);
      for (const scope of lacking) {
        const answer = await api.call(route.method.toUpperCase(), examplePath(route), {
          token: api.tokens[scope],
          body: route.body && '{"malformed',
        });
        const what = `${route.method} ${route.path} with ${scope}`;
        expect(answer.status, what).toBe(403);
        expect(errorCode(answer), what).toBe('auth.insufficient_scope');
        expect((answer.body as { error: { details: { scope: string } } }).error.details.scope).toBe(
          route.scope,
        );
        expect(answer.headers.get('www-authenticate')).toContain(`scope="${route.scope}"`);
      }
    }
  });

  test('every route lets in a token with exactly its scope, and an admin token', async () => {
    for (const route of scoped) {
      for (const scope of [route.scope!, 'admin'] as const) {
        const answer = await api.call(route.method.toUpperCase(), examplePath(route), {
          token: api.tokens[scope],
          body: route.body && {},
        });
        expect([401, 403], `${route.method} ${route.path} with ${scope}`).not.toContain(answer.status);
        expect(answer.status, `${route.method} ${route.path}`).toBeLessThan(500);
      }
    }
  });

  test('changes carry the token as actor, with the client address and the request id', async () => {
    const created = await api.post<{ id: string }>(
      '/users',
      { userName: 'actor-check' },
      {
        token: api.tokens['directory:write'],
        headers: { 'x-request-id': 'req-actor-check' },
      },
    );
    expect(created.status).toBe(201);
    const { rows } = await api.server.runtime.db.query<{ id: string }>(
      `select id from api_tokens where name = 'test directory:write'`,
    );
    const [entry] = await queryAudit(api.server.runtime.db, { target: `user:${created.body.id}`, limit: 1 });
    expect(entry).toMatchObject({
      action: 'user.create',
      actor: `token:${rows[0]!.id}`,
      requestId: 'req-actor-check',
      ip: expect.stringMatching(/127\.0\.0\.1/),
    });
  });

  test('tokens never reach the logs and are stored only as hashes', async () => {
    const made = await api.post<{ token: string }>('/tokens', { name: 'logged?', scopes: ['audit:read'] });
    expect(made.status).toBe(201);
    await api.call('GET', '/audit', { token: made.body.token });
    await api.call('GET', '/users', { headers: { authorization: `Bearer ${made.body.token}x` } });
    const logs = api.server.logs.text();
    expect(logs).toContain('"path":"/api/v1/audit"');
    for (const token of [...Object.values(api.tokens), made.body.token]) {
      expect(logs).not.toContain(token.slice(4));
    }
    const { rows } = await api.server.runtime.db.query('select * from api_tokens');
    const stored = JSON.stringify(rows);
    for (const token of [...Object.values(api.tokens), made.body.token]) {
      expect(stored).not.toContain(token.slice(4));
      expect(stored).toContain(hashToken(token));
    }
  });

  test('the OpenAPI document needs no token', async () => {
    const answer = await api.call('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ openapi: '3.1.0' });
  });
});

describe('bearer verifiers are pluggable', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      backend: 'pglite',
      routers: (runtime) => [
        buildRouter(runtime, apiRouteTable, [
          async () => undefined,
          async (bearer) =>
            bearer === 'jwt-like.access.token'
              ? { actor: 'client:ci-bot', scopes: ['directory:write'], name: 'ci-bot' }
              : undefined,
        ]),
      ],
    });
  });
  afterAll(() => server.stop());

  test('the first verifier that knows the credential names the principal and its scopes', async () => {
    const headers = { authorization: 'Bearer jwt-like.access.token', 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/api/v1/groups`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'from-oidc' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const [entry] = await queryAudit(server.runtime.db, { target: `group:${id}`, limit: 1 });
    expect(entry?.actor).toBe('client:ci-bot');
    expect((await fetch(`${server.url}/api/v1/groups`, { headers })).status).toBe(403);
    expect(
      (await fetch(`${server.url}/api/v1/groups`, { headers: { authorization: 'Bearer other' } })).status,
    ).toBe(401);
  });
});
