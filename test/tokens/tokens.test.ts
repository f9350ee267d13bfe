import { describe, expect, test } from 'vitest';
import { type AuditContext, queryAudit, verifyAudit } from '../../src/audit/audit.ts';
import { hasScope, SCOPES } from '../../src/tokens/scopes.ts';
import {
  createToken,
  getToken,
  hashToken,
  listTokens,
  revokeToken,
  tokenVerifier,
  verifyToken,
} from '../../src/tokens/tokens.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { codeOf } from '../support/errors.ts';

const admin: AuditContext = { actor: 'test', ip: '192.0.2.1', requestId: 'req-1' };

test('scopes: admin implies every scope, the others only themselves', () => {
  for (const scope of SCOPES) {
    expect(hasScope(['admin'], scope)).toBe(true);
    expect(hasScope([scope], scope)).toBe(true);
  }
  expect(hasScope(['directory:write'], 'directory:read')).toBe(false);
  expect(hasScope(['directory:read', 'audit:read'], 'directory:write')).toBe(false);
  expect(hasScope([], 'audit:read')).toBe(false);
});

describe.each(backends)('API tokens on $name', (backend) => {
  const ctx = useDb(backend);
  const tx = <T>(fn: Parameters<typeof ctx.db.transaction<T>>[0]) => ctx.db.transaction(fn);

  test('create returns the token once; only its SHA-256 is stored; verify finds it', async () => {
    const created = await tx((t) =>
      createToken(t, admin, { name: 'ci', scopes: ['directory:write', 'directory:read', 'directory:read'] }),
    );
    expect(created.token).toMatch(/^ght_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: 'ci',
      scopes: ['directory:read', 'directory:write'],
      createdBy: 'test',
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
    });
    const { rows } = await ctx.db.query<Record<string, unknown>>('select * from api_tokens where id = $1', [
      created.id,
    ]);
    expect(rows[0]!['token_hash']).toBe(hashToken(created.token));
    expect(JSON.stringify(rows)).not.toContain(created.token.slice(4));

    expect(await verifyToken(ctx.db, created.token)).toEqual({
      id: created.id,
      name: 'ci',
      scopes: ['directory:read', 'directory:write'],
    });
    expect(await tokenVerifier(ctx.db)(created.token)).toEqual({
      actor: `token:${created.id}`,
      name: 'ci',
      scopes: ['directory:read', 'directory:write'],
    });
    const listed = (await listTokens(ctx.db)).find((t) => t.id === created.id)!;
    expect(listed.lastUsedAt).toBeInstanceOf(Date);
    expect(JSON.stringify(await listTokens(ctx.db))).not.toMatch(/ght_|token_hash/);
  });

  test('unknown, malformed, expired and revoked tokens do not verify', async () => {
    const good = await tx((t) => createToken(t, admin, { name: 'short', scopes: ['audit:read'] }));
    const last = good.token.at(-1) === 'A' ? 'B' : 'A';
    expect(await verifyToken(ctx.db, `${good.token.slice(0, -1)}${last}`)).toBeUndefined();
    expect(await verifyToken(ctx.db, 'ght_')).toBeUndefined();
    expect(await verifyToken(ctx.db, '')).toBeUndefined();
    expect(await verifyToken(ctx.db, `x${good.token}`)).toBeUndefined();

    const expiring = await tx((t) =>
      createToken(t, admin, {
        name: 'expiring',
        scopes: ['admin'],
        expiresAt: new Date(Date.now() + 60_000),
      }),
    );
    expect(await verifyToken(ctx.db, expiring.token)).toBeDefined();
    await ctx.db.query(`update api_tokens set expires_at = now() - interval '1 second' where id = $1`, [
      expiring.id,
    ]);
    expect(await verifyToken(ctx.db, expiring.token)).toBeUndefined();

    const revoked = await tx((t) => revokeToken(t, admin, good.id));
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await verifyToken(ctx.db, good.token)).toBeUndefined();
    // Revoking again is a no-op, and is not audited twice.
    expect((await tx((t) => revokeToken(t, admin, good.id))).revokedAt).toEqual(revoked.revokedAt);
    const entries = await queryAudit(ctx.db, {
      action: 'token.revoke',
      target: `token:${good.id}`,
      limit: 10,
    });
    expect(entries).toHaveLength(1);
  });

  test('last_used_at is written at most once a minute', async () => {
    const created = await tx((t) => createToken(t, admin, { name: 'busy', scopes: ['directory:read'] }));
    await verifyToken(ctx.db, created.token);
    const first = (await getToken(ctx.db, created.id)).lastUsedAt!;
    await new Promise((r) => setTimeout(r, 20));
    await verifyToken(ctx.db, created.token);
    expect((await getToken(ctx.db, created.id)).lastUsedAt).toEqual(first);
    await ctx.db.query(`update api_tokens set last_used_at = now() - interval '2 minutes' where id = $1`, [
      created.id,
    ]);
    await verifyToken(ctx.db, created.token);
    expect((await getToken(ctx.db, created.id)).lastUsedAt!.getTime()).toBeGreaterThan(
      first.getTime() - 1000,
    );
  });

  test('validation: name, scopes, expiry; unknown ids are not found', async () => {
    expect(await codeOf(tx((t) => createToken(t, admin, { name: '', scopes: ['admin'] })))).toBe(
      'tokens.invalid',
    );
    expect(await codeOf(tx((t) => createToken(t, admin, { name: 'x'.repeat(200), scopes: ['admin'] })))).toBe(
      'tokens.invalid',
    );
    expect(await codeOf(tx((t) => createToken(t, admin, { name: 'x', scopes: [] })))).toBe('tokens.invalid');
    expect(await codeOf(tx((t) => createToken(t, admin, { name: 'x', scopes: ['root' as never] })))).toBe(
      'tokens.invalid',
    );
    expect(
      await codeOf(
        tx((t) => createToken(t, admin, { name: 'x', scopes: ['admin'], expiresAt: new Date(0) })),
      ),
    ).toBe('tokens.invalid');
    expect(await codeOf(tx((t) => revokeToken(t, admin, 'nope')))).toBe('tokens.not_found');
    expect(await codeOf(getToken(ctx.db, '00000000-0000-4000-8000-000000000000'))).toBe('tokens.not_found');
  });

  test('create and revoke are audited without the secret', async () => {
    const created = await tx((t) => createToken(t, admin, { name: 'audited', scopes: ['admin'] }));
    await tx((t) => revokeToken(t, admin, created.id));
    const entries = await queryAudit(ctx.db, { target: `token:${created.id}`, limit: 10 });
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ['token.revoke', 'test'],
      ['token.create', 'test'],
    ]);
    expect(entries[1]!.details).toEqual({ name: 'audited', scopes: ['admin'], expiresAt: null });
    expect(JSON.stringify(entries)).not.toContain(created.token);
    expect(JSON.stringify(entries)).not.toContain(hashToken(created.token));
    expect(await verifyAudit(ctx.db)).toMatchObject({ ok: true });
  });
});
