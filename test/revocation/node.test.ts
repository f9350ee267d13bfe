import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AuditContext } from '../../src/audit/audit.ts';
import { emit, type StoredEvent } from '../../src/directory/events.ts';
import { createUser, disableUser, enableUser } from '../../src/directory/users.ts';
import { createLogger } from '../../src/log.ts';
import { startEventConsumer } from '../../src/revocation/consumer.ts';
import { type RevocationNode, startRevocation } from '../../src/revocation/node.ts';
import { revokeUserAccess } from '../../src/revocation/revoke.ts';
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

describe.each(backends)('sessions, revoke-access and the event consumer on $name', (backend) => {
  const t = useDb(backend);
  let a: RevocationNode;
  let b: RevocationNode;
  beforeAll(async () => {
    const options = { reconcileInterval: 60_000, staleAfter: 120_000, window: 3_600_000 };
    a = await startRevocation(t.db, options, log);
    b = await startRevocation(t.db, options, log);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  test('a session ended on one node kills what was obtained through it on every node, also after a restart', async () => {
    const u = await t.db.transaction((tx) => createUser(tx, ctx, { userName: 'sam' }));
    const issuedAt = Date.now() - 1;
    expect(b.check({ userId: u.id, issuedAt, sessionId: 'sess-1' })).toBeUndefined();
    await t.db.transaction((tx) =>
      emit(tx, { type: 'session.ended', userId: u.id, data: { sessionId: 'sess-1' } }),
    );
    expect(
      await eventually(() => b.check({ userId: u.id, issuedAt, sessionId: 'sess-1' }) === 'session'),
    ).toBe(true);
    expect(b.check({ userId: u.id, issuedAt, sessionId: 'sess-2' })).toBeUndefined();
    const fresh = await startRevocation(
      t.db,
      { reconcileInterval: 60_000, staleAfter: 120_000, window: 3_600_000 },
      log,
    );
    expect(fresh.check({ userId: u.id, issuedAt, sessionId: 'sess-1' })).toBe('session');
    await fresh.close();
  });

  test("revoking a user's access keeps them active but ends what they held", async () => {
    const u = await t.db.transaction((tx) => createUser(tx, ctx, { userName: 'lostlaptop' }));
    const issuedAt = Date.now() - 1;
    await t.db.transaction((tx) => revokeUserAccess(tx, ctx, u.id, 'lost laptop'));
    expect(await eventually(() => a.check({ userId: u.id, issuedAt }) === 'user')).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(a.check({ userId: u.id, issuedAt: Date.now() })).toBeUndefined();
    const { rows } = await t.db.query<{ status: string }>('select status from users where id = $1', [u.id]);
    expect(rows[0]!.status).toBe('active');
    const audit = await t.db.query(
      "select 1 from audit_log where action = 'user.revoke_access' and target = $1",
      [`user:${u.id}`],
    );
    expect(audit.rows).toHaveLength(1);
  });

  test('an event consumer acts once per event across two nodes', async () => {
    const seen: string[] = [];
    const handle = async (e: StoredEvent) => {
      if (e.type === 'user.disabled') seen.push(e.userId!);
    };
    const c1 = await startEventConsumer(t.db, 'test-logout', handle, log, { interval: 50 });
    const c2 = await startEventConsumer(t.db, 'test-logout', handle, log, { interval: 50 });
    const users = await t.db.transaction(async (tx) => [
      await createUser(tx, ctx, { userName: 'c1' }),
      await createUser(tx, ctx, { userName: 'c2' }),
    ]);
    for (const u of users) await t.db.transaction((tx) => disableUser(tx, ctx, u.id));
    expect(await eventually(() => seen.length >= 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    await Promise.all([c1.drain(), c2.drain()]);
    expect(seen.sort()).toEqual(users.map((u) => u.id).sort());
    await c1.close();
    await c2.close();
  });
});
