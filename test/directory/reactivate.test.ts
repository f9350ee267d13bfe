import { describe, expect, test } from 'vitest';
import type { AuditContext } from '../../src/audit/audit.ts';
import { readEvents } from '../../src/directory/events.ts';
import {
  createUser,
  deprovisionUser,
  eraseUser,
  reactivateUser,
  updateUser,
} from '../../src/directory/users.ts';
import { GatehouseError } from '../../src/errors.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';

const ctx: AuditContext = { actor: 'connector:corp' };

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof GatehouseError ? e.code : String(e)),
  );

describe.each(backends)('reactivateUser on $name', (backend) => {
  const t = useDb(backend);

  test('a deprovisioned directory user comes back as the same identity', async () => {
    const u = await t.db.transaction((tx) =>
      createUser(tx, ctx, { userName: 'rita', externalId: 'e-rita' }, { source: 'ldap:corp' }),
    );
    const gone = await t.db.transaction((tx) => deprovisionUser(tx, ctx, u.id));
    const back = await t.db.transaction((tx) => reactivateUser(tx, ctx, u.id, { reason: 'reappeared' }));
    expect(back).toMatchObject({ id: u.id, status: 'active', userName: 'rita', version: gone.version + 1 });
    expect(back.validAfter.getTime()).toBeGreaterThanOrEqual(gone.validAfter.getTime());
    const events = (await readEvents(t.db, 0)).filter((e) => e.userId === u.id).map((e) => e.type);
    expect(events).toEqual(['user.created', 'user.deprovisioned', 'user.reactivated']);
    const { rows } = await t.db.query<{ action: string; actor: string }>(
      "select action, actor from audit_log where target = $1 and action = 'user.reactivate'",
      [`user:${u.id}`],
    );
    expect(rows).toEqual([{ action: 'user.reactivate', actor: 'connector:corp' }]);
  });

  test('refused for built-in users, erased tombstones, users not deprovisioned, and taken names', async () => {
    const builtin = await t.db.transaction((tx) => createUser(tx, ctx, { userName: 'bea' }));
    expect(await codeOf(t.db.transaction((tx) => reactivateUser(tx, ctx, builtin.id)))).toBe(
      'directory.user_not_deprovisioned',
    );
    await t.db.transaction((tx) => deprovisionUser(tx, ctx, builtin.id));
    expect(await codeOf(t.db.transaction((tx) => reactivateUser(tx, ctx, builtin.id)))).toBe(
      'directory.not_reactivatable',
    );

    const erased = await t.db.transaction((tx) =>
      createUser(tx, ctx, { userName: 'ed', externalId: 'e-ed' }, { source: 'ldap:corp' }),
    );
    await t.db.transaction(async (tx) => {
      await deprovisionUser(tx, ctx, erased.id);
      await eraseUser(tx, ctx, erased.id);
    });
    expect(await codeOf(t.db.transaction((tx) => reactivateUser(tx, ctx, erased.id)))).toBe(
      'directory.not_reactivatable',
    );

    const sam = await t.db.transaction((tx) =>
      createUser(tx, ctx, { userName: 'sam', externalId: 'e-sam' }, { source: 'ldap:corp' }),
    );
    await t.db.transaction((tx) => deprovisionUser(tx, ctx, sam.id));
    const other = await t.db.transaction((tx) => createUser(tx, ctx, { userName: 'sam' }));
    expect(await codeOf(t.db.transaction((tx) => reactivateUser(tx, ctx, sam.id)))).toBe(
      'directory.user_exists',
    );
    await t.db.transaction((tx) => updateUser(tx, ctx, other.id, { userName: 'sam2' }));
    expect((await t.db.transaction((tx) => reactivateUser(tx, ctx, sam.id))).status).toBe('active');
  });
});
