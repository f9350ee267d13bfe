import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditContext } from '../../src/audit/audit.ts';
import { createUser, disableUser, enableUser } from '../../src/directory/users.ts';
import { createLogger } from '../../src/log.ts';
import { type RevocationNode, startRevocation } from '../../src/revocation/node.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';

const ctx: AuditContext = { actor: 'test' };
const log = createLogger('silent');

/** Waits for a condition that a notification makes true (bounded; asserts the state, not the time). */
async function eventually(fn: () => boolean, limitMs = 5_000) {
  const until = Date.now() + limitMs;
  while (!fn() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  return fn();
}

describe.each(backends)('revocation node on $name', (backend) => {
  const t = useDb(backend);
  let node: RevocationNode;
  let other: RevocationNode;
  const metrics = new Registry();

  beforeAll(async () => {
    // Two nodes on one database; the reconcile timer is slow so only NOTIFY can explain speed.
    const options = { reconcileInterval: 60_000, staleAfter: 120_000, window: 3_600_000 };
    node = await startRevocation(t.db, options, log, metrics);
    other = await startRevocation(t.db, options, log);
  });
  afterAll(async () => {
    await node?.close();
    await other?.close();
  });

  test('disabling a user revokes what they hold on every node, through NOTIFY', async () => {
    const u = await t.db.transaction((tx) => createUser(tx, ctx, { userName: 'nora' }));
    const issuedAt = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    expect(node.check({ userId: u.id, issuedAt })).toBeUndefined();
    await t.db.transaction((tx) => disableUser(tx, ctx, u.id));
    expect(await eventually(() => node.check({ userId: u.id, issuedAt }) === 'user')).toBe(true);
    expect(await eventually(() => other.check({ userId: u.id, issuedAt }) === 'user')).toBe(true);
    // Something issued after re-enabling is valid again; what was issued before stays dead.
    await t.db.transaction((tx) => enableUser(tx, ctx, u.id));
    await new Promise((r) => setTimeout(r, 5));
    const later = Date.now();
    await node.reconcile();
    expect(node.check({ userId: u.id, issuedAt: later })).toBeUndefined();
    expect(node.check({ userId: u.id, issuedAt })).toBe('user');
  });

  test('a newly created user is not a revocation', async () => {
    const u = await t.db.transaction((tx) => createUser(tx, ctx, { userName: 'newbie' }));
    await node.reconcile();
    expect(node.check({ userId: u.id, issuedAt: Date.now() - 60_000 })).toBeUndefined();
  });

  test('a lost notification is healed by the reconcile', async () => {
    const u = await t.db.transaction((tx) => createUser(tx, ctx, { userName: 'lost' }));
    const issuedAt = Date.now() - 1;
    // The change is written without any NOTIFY reaching the nodes.
    await t.db.query("update users set status = 'disabled', valid_after = now() where id = $1", [u.id]);
    expect(node.check({ userId: u.id, issuedAt })).toBeUndefined();
    await node.reconcile();
    expect(node.check({ userId: u.id, issuedAt })).toBe('user');
  });

  test('metrics say how fresh the set is', async () => {
    const text = await metrics.metrics();
    expect(text).toMatch(/gatehouse_revocation_stale 0/);
    expect(text).toMatch(/gatehouse_revocation_reconcile_age_seconds \d/);
    expect(text).toMatch(/gatehouse_revocation_denials_total\{reason="user"\} [1-9]/);
  });
});

describe.each(backends)('revocation node that loses its database on $name', (backend) => {
  const t = useDb(backend);

  test('fails closed once it could not reconcile within the bound', async () => {
    const n = await startRevocation(t.db, { reconcileInterval: 50, staleAfter: 300, window: 3_600_000 }, log);
    const u = { userId: '00000000-0000-0000-0000-000000000001', issuedAt: Date.now() };
    expect(n.check(u)).toBeUndefined();
    expect(n.problem()).toBeUndefined();
    await n.close();
    // No reconcile runs after close: the set ages past the bound exactly as with an unreachable database.
    expect(await eventually(() => n.check(u) === 'stale', 3_000)).toBe(true);
    expect(n.problem()).toMatch(/not reconciled/);
  });
});
