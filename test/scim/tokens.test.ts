// SCIM tokens: admin API token machinery of kind `scim`, with rules of their own (always expire,
// at most two active), managed by the admin API and the CLI, refused everywhere but /scim/v2.
import { beforeAll, describe, expect, test } from 'vitest';
import { GatehouseError } from '../../src/errors.ts';
import { createScimToken, listScimTokens, revokeScimToken, verifyScimToken } from '../../src/scim/tokens.ts';
import { createToken, hashToken, listTokens } from '../../src/tokens/tokens.ts';
import { backends } from '../support/backends.ts';
import { codeOf } from '../support/errors.ts';
import { runGatehouse, tempDir } from '../support/server.ts';
import { useScim } from './support.ts';

const ctx = { actor: 'test' };
const TOKEN = /^ghs_[A-Za-z0-9_-]{43}$/;

describe.each(backends)('SCIM tokens on $name', (backend) => {
  const scim = useScim(backend.name);

  test('at most two active; revoked and expired ones do not count; always expiring', async () => {
    const db = scim.db;
    // useScim made one already.
    const second = await db.transaction((tx) => createScimToken(tx, ctx, { name: 'second' }));
    expect(second.token).toMatch(TOKEN);
    expect(second.kind).toBe('scim');
    const days = (second.expiresAt!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);
    expect(await codeOf(db.transaction((tx) => createScimToken(tx, ctx, { name: 'third' })))).toBe(
      'scim.too_many_tokens',
    );
    await db.transaction((tx) => revokeScimToken(tx, ctx, second.id));
    const third = await db.transaction((tx) => createScimToken(tx, ctx, { name: 'third' }));
    await db.query(`update api_tokens set expires_at = now() - interval '1 second' where id = $1`, [
      third.id,
    ]);
    expect(await verifyScimToken(db, third.token)).toBeUndefined();
    const fourth = await db.transaction((tx) =>
      createScimToken(tx, ctx, { name: 'fourth', expiresAt: new Date(Date.now() + 86_400_000) }),
    );
    expect(await verifyScimToken(db, fourth.token)).toMatchObject({
      tokenId: fourth.id,
      actor: `token:${fourth.id}`,
    });
    for (const expiresAt of [new Date(Date.now() - 1000), new Date(Date.now() + 400 * 86_400_000)]) {
      const error = await db
        .transaction((tx) => createScimToken(tx, ctx, { name: 'x', expiresAt }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatehouseError);
    }
    // Hashed at rest; the secret is in no audit entry.
    const { rows } = await db.query<{ token_hash: string }>(
      'select token_hash from api_tokens where id = $1',
      [fourth.id],
    );
    expect(rows[0]!.token_hash).toBe(hashToken(fourth.token));
    const audit = await db.query<{ details: unknown; action: string }>(
      `select action, details from audit_log where target = $1`,
      [`token:${fourth.id}`],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['scim.token.create']);
    expect(JSON.stringify(audit.rows)).not.toContain(fourth.token);
    // Kinds stay apart: admin lists never show SCIM tokens, nor the other way round.
    const admin = await db.transaction((tx) => createToken(tx, ctx, { name: 'admin', scopes: ['admin'] }));
    expect((await listTokens(db)).map((t) => t.id)).not.toContain(fourth.id);
    expect((await listScimTokens(db)).map((t) => t.id)).not.toContain(admin.id);
    expect(await verifyScimToken(db, admin.token)).toBeUndefined();
    await db.query(`update api_tokens set revoked_at = now() where kind = 'scim' and id <> $1`, [fourth.id]);
  });

  test('admin API: create (shown once), list, revoke; revoked tokens stop at once', async () => {
    const db = scim.db;
    const admin = await db.transaction((tx) =>
      createToken(tx, ctx, { name: 'api admin', scopes: ['admin'] }),
    );
    const reader = await db.transaction((tx) =>
      createToken(tx, ctx, { name: 'reader', scopes: ['directory:read'] }),
    );
    const api = (method: string, path: string, token: string, body?: unknown) =>
      fetch(`${scim.server.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await api('POST', '/scim/tokens', reader.token, { name: 'nope' })).status).toBe(403);
    await db.query(`update api_tokens set revoked_at = now() where kind = 'scim'`);
    const created = await api('POST', '/scim/tokens', admin.token, { name: 'Entra ID' });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; token: string; kind: string; expiresAt: string };
    expect(body).toMatchObject({ kind: 'scim', token: expect.stringMatching(TOKEN), scopes: [] });
    const listed = (await (await api('GET', '/scim/tokens', admin.token)).json()) as {
      tokens: { id: string }[];
    };
    expect(listed.tokens[0]).toMatchObject({ id: body.id });
    expect(JSON.stringify(listed)).not.toContain(body.token);
    const scimCall = () =>
      fetch(`${scim.server.url}/scim/v2/ServiceProviderConfig`, {
        headers: { authorization: `Bearer ${body.token}` },
      });
    expect((await scimCall()).status).toBe(200);
    expect((await api('DELETE', `/tokens/${body.id}`, admin.token)).status).toBe(404);
    expect((await api('DELETE', `/scim/tokens/${body.id}`, admin.token)).status).toBe(204);
    expect((await scimCall()).status).toBe(401);
    await api('POST', '/scim/tokens', admin.token, { name: 'one' });
    expect((await api('POST', '/scim/tokens', admin.token, { name: 'two' })).status).toBe(201);
    const third = await api('POST', '/scim/tokens', admin.token, { name: 'three' });
    expect(third.status).toBe(409);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('scim.too_many_tokens');
    const invalid = await api('POST', '/scim/tokens', admin.token, {
      name: 'x',
      expiresAt: '2999-01-01T00:00:00Z',
    });
    expect(invalid.status).toBe(400);
  });
});

describe('gatehouse scim tokens', () => {
  const env = { GATEHOUSE_DATA_DIR: tempDir() };
  beforeAll(async () => {
    expect((await runGatehouse(['migrate'], env)).code).toBe(0);
  }, 60_000);

  test('create prints the token alone on stdout; list; revoke; the third active one is refused', async () => {
    const created = await runGatehouse(
      ['scim', 'tokens', 'create', '--name', 'okta', '--expires', '30d'],
      env,
    );
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(TOKEN);
    expect(created.stderr).toContain('shown once');
    const id = created.stderr.match(/SCIM token ([0-9a-f-]{36})/)![1]!;
    expect((await runGatehouse(['scim', 'tokens', 'create', '--name', 'entra'], env)).code).toBe(0);
    const third = await runGatehouse(['scim', 'tokens', 'create', '--name', 'more'], env);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('at most 2 SCIM tokens');
    const list = await runGatehouse(['scim', 'tokens', 'list'], env);
    expect(list.stdout).toMatch(new RegExp(`^${id} {2}"okta" {2}scim {2}active until`, 'm'));
    expect(list.stdout).not.toContain('ghs_');
    const revoked = await runGatehouse(['scim', 'tokens', 'revoke', id], env);
    expect(revoked.stdout.trim()).toBe(`revoked ${id} "okta"`);
    const usage = await runGatehouse(['scim', 'tokens', 'create'], env);
    expect(usage.code).toBe(2);
  }, 120_000);
});
