// Bulk variants used by the directory sync: same rows, events and audit entries as one by one.
import { describe, expect, test } from 'vitest';
import { type AuditContext, verifyAudit } from '../../src/audit/audit.ts';
import { readEvents } from '../../src/directory/events.ts';
import { createGroup, createGroups } from '../../src/directory/groups.ts';
import { addUsersToGroups, effectiveGroups, removeUsersFromGroups } from '../../src/directory/members.ts';
import { createUser, createUsers, deprovisionUser } from '../../src/directory/users.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';

const ctx: AuditContext = { actor: 'connector:bulk', requestId: 'sync:1' };

describe.each(backends)('bulk directory changes on $name', (backend) => {
  const t = useDb(backend);
  const lastEvent = async () => (await readEvents(t.db, 0, 100_000)).at(-1)?.id ?? 0;

  test('createUsers: creates the valid ones, refuses invalid and taken names, one event and entry each', async () => {
    await t.db.transaction((tx) => createUser(tx, ctx, { userName: 'taken' }));
    const mark = await lastEvent();
    const r = await t.db.transaction((tx) =>
      createUsers(
        tx,
        ctx,
        [
          {
            userName: 'b1',
            displayName: 'B One',
            emails: ['b1@example.org'],
            externalId: 'x1',
            attributes: { team: 'red' },
          },
          { userName: 'Taken', externalId: 'x2' },
          { userName: 'bad name', externalId: 'x3' },
          { userName: 'b4', externalId: 'x4' },
          { userName: 'B4', externalId: 'x5' },
        ],
        { source: 'ldap:bulk' },
      ),
    );
    expect(r.created.map((u) => [u.userName, u.externalId, u.source, u.status])).toEqual([
      ['b1', 'x1', 'ldap:bulk', 'active'],
      ['b4', 'x4', 'ldap:bulk', 'active'],
    ]);
    expect(r.created[0]).toMatchObject({
      displayName: 'B One',
      emails: [{ value: 'b1@example.org' }],
      attributes: { team: 'red' },
    });
    expect(r.refused.map((x) => [x.index, x.error.code])).toEqual([
      [1, 'directory.user_exists'],
      [2, 'directory.invalid'],
      [4, 'directory.user_exists'],
    ]);
    const events = (await readEvents(t.db, mark)).map((e) => [e.type, e.userId]);
    expect(events).toEqual(r.created.map((u) => ['user.created', u.id]));
    const audit = await t.db.query<{ action: string; target: string; request_id: string; details: unknown }>(
      "select action, target, request_id, details from audit_log where actor = 'connector:bulk' and action = 'user.create' order by seq",
    );
    expect(audit.rows.slice(-2)).toEqual(
      r.created.map((u) => ({
        action: 'user.create',
        target: `user:${u.id}`,
        request_id: 'sync:1',
        details: { userName: u.userName, source: 'ldap:bulk' },
      })),
    );
    expect(await verifyAudit(t.db)).toMatchObject({ ok: true });
  });

  test('createGroups and user memberships in bulk: events per membership, nesting still effective', async () => {
    await t.db.transaction((tx) =>
      createGroup(tx, ctx, { name: 'dup', externalId: 'g0' }, { source: 'ldap:bulk' }),
    );
    const groups = await t.db.transaction((tx) =>
      createGroups(
        tx,
        ctx,
        [
          { name: 'g-one', externalId: 'g1', description: 'first' },
          { name: 'DUP', externalId: 'g2' },
          { name: 'a/b', externalId: 'g3' },
          { name: 'g-two', externalId: 'g4' },
        ],
        { source: 'ldap:bulk' },
      ),
    );
    expect(groups.created.map((g) => [g.name, g.externalId, g.source])).toEqual([
      ['g-one', 'g1', 'ldap:bulk'],
      ['g-two', 'g4', 'ldap:bulk'],
    ]);
    expect(groups.refused.map((x) => [x.index, x.error.code])).toEqual([
      [1, 'directory.group_exists'],
      [2, 'directory.invalid'],
    ]);
    const [g1, g2] = groups.created as unknown as [{ id: string }, { id: string }];
    const users = await t.db.transaction((tx) =>
      createUsers(
        tx,
        ctx,
        ['m1', 'm2', 'm3'].map((userName) => ({ userName, externalId: userName })),
        { source: 'ldap:bulk' },
      ),
    );
    const [m1, m2, m3] = users.created as unknown as [{ id: string }, { id: string }, { id: string }];
    await t.db.transaction((tx) => deprovisionUser(tx, ctx, m3.id));
    const mark = await lastEvent();
    const added = await t.db.transaction((tx) =>
      addUsersToGroups(tx, ctx, [
        { groupId: g1.id, userId: m1.id },
        { groupId: g1.id, userId: m2.id },
        { groupId: g2.id, userId: m1.id },
        { groupId: g1.id, userId: m3.id },
      ]),
    );
    expect(added.added).toHaveLength(3);
    expect(added.refused.map((x) => [x.userId, x.error.code])).toEqual([
      [m3.id, 'directory.user_deprovisioned'],
    ]);
    // Again: nothing new.
    expect(
      (await t.db.transaction((tx) => addUsersToGroups(tx, ctx, [{ groupId: g1.id, userId: m1.id }]))).added,
    ).toEqual([]);
    expect((await effectiveGroups(t.db, m1.id)).map((g) => g.name)).toEqual(['g-one', 'g-two']);
    const removed = await t.db.transaction((tx) =>
      removeUsersFromGroups(tx, ctx, [
        { groupId: g1.id, userId: m1.id },
        { groupId: g2.id, userId: m2.id },
      ]),
    );
    expect(removed).toEqual([{ groupId: g1.id, userId: m1.id }]);
    const events = (await readEvents(t.db, mark)).map((e) => [e.type, e.userId, e.groupId]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['membership.added', m1.id, g1.id],
        ['membership.added', m2.id, g1.id],
        ['membership.added', m1.id, g2.id],
        ['membership.removed', m1.id, g1.id],
      ]),
    );
    expect(events).toHaveLength(4);
    expect(await verifyAudit(t.db)).toMatchObject({ ok: true });
  });
});
