// Directory functions SCIM added: replacing a group's user members in one statement, moving a
// group's version after member changes, and changing a group's external id.
import { describe, expect, test } from 'vitest';
import { readEvents } from '../../src/directory/events.ts';
import { createGroup, touchGroup, updateGroup } from '../../src/directory/groups.ts';
import { addUsersToGroups, removeUsersFromGroupExcept } from '../../src/directory/members.ts';
import { createUsers } from '../../src/directory/users.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { codeOf } from '../support/errors.ts';

const ctx = { actor: 'test' };

describe.each(backends)('group member replacement on $name', (backend) => {
  const t = useDb(backend);

  test('removeUsersFromGroupExcept removes the others only, with one event and audit entry each', async () => {
    const { created } = await t.db.transaction((tx) =>
      createUsers(
        tx,
        ctx,
        ['r1', 'r2', 'r3', 'r4'].map((userName) => ({ userName })),
      ),
    );
    const [a, b, c, d] = created.map((u) => u.id) as [string, string, string, string];
    const group = await t.db.transaction((tx) => createGroup(tx, ctx, { name: 'replace-me' }));
    await t.db.transaction((tx) =>
      addUsersToGroups(
        tx,
        ctx,
        [a, b, c].map((userId) => ({ groupId: group.id, userId })),
      ),
    );
    const before = (await readEvents(t.db, 0, 100_000)).at(-1)!.id;
    const removed = await t.db.transaction((tx) => removeUsersFromGroupExcept(tx, ctx, group.id, [b, d]));
    expect(removed.map((r) => r.userId).sort()).toEqual([a, c].sort());
    const events = (await readEvents(t.db, before, 100)).filter((e) => e.type === 'membership.removed');
    expect(events.map((e) => e.userId).sort()).toEqual([a, c].sort());
    const { rows } = await t.db.query<{ member_user_id: string }>(
      'select member_user_id from group_members where group_id = $1',
      [group.id],
    );
    expect(rows.map((r) => r.member_user_id)).toEqual([b]);
    expect(await t.db.transaction((tx) => removeUsersFromGroupExcept(tx, ctx, group.id, []))).toHaveLength(1);
  });

  test('touchGroup moves the version; updateGroup changes the external id', async () => {
    const group = await t.db.transaction((tx) => createGroup(tx, ctx, { name: 'touched', externalId: 'x1' }));
    const touched = await t.db.transaction((tx) => touchGroup(tx, group.id));
    expect(touched.version).toBe(group.version + 1);
    const changed = await t.db.transaction((tx) => updateGroup(tx, ctx, group.id, { externalId: 'x2' }));
    expect(changed).toMatchObject({ externalId: 'x2', version: group.version + 2 });
    expect(
      await codeOf(t.db.transaction((tx) => touchGroup(tx, '00000000-0000-4000-8000-000000000000'))),
    ).toBe('directory.group_not_found');
  });
});
