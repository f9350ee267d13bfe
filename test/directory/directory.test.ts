import { describe, expect, test } from 'vitest';
import { type AuditContext, verifyAudit } from '../../src/audit/audit.ts';
import { readEvents } from '../../src/directory/events.ts';
import { createGroup, deleteGroup, updateGroup } from '../../src/directory/groups.ts';
import { addMember, effectiveGroups, listMembers, removeMember } from '../../src/directory/members.ts';
import {
  createUser,
  deprovisionUser,
  disableUser,
  enableUser,
  eraseUser,
  findUserByName,
  getUser,
  listUsers,
  updateUser,
} from '../../src/directory/users.ts';
import { GatehouseError } from '../../src/errors.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { codeOf } from '../support/errors.ts';

const admin: AuditContext = { actor: 'test', ip: '192.0.2.1', requestId: 'req-1' };

describe.each(backends)('directory on $name', (backend) => {
  const ctx = useDb(backend);
  const tx = <T>(fn: Parameters<typeof ctx.db.transaction<T>>[0]) => ctx.db.transaction(fn);

  test('users: create, read, case-insensitive unique names, validation by path', async () => {
    const alice = await tx((t) =>
      createUser(t, admin, {
        userName: 'alice',
        displayName: 'Alice Anderson',
        emails: ['alice@example.com'],
        attributes: { team: 'blue' },
      }),
    );
    expect(alice).toMatchObject({
      userName: 'alice',
      status: 'active',
      source: 'builtin',
      version: 1,
      emails: [{ value: 'alice@example.com' }],
    });
    expect((await findUserByName(ctx.db, 'ALICE'))?.id).toBe(alice.id);
    expect(await codeOf(tx((t) => createUser(t, admin, { userName: 'Alice' })))).toBe(
      'directory.user_exists',
    );

    const invalid = await tx((t) =>
      createUser(t, admin, {
        userName: 'bad name',
        emails: ['nope'],
        attributes: { 'bad key!': 'x' },
        colour: 'red',
      } as never),
    ).catch((e: GatehouseError) => e);
    expect(invalid).toBeInstanceOf(GatehouseError);
    const problems = (invalid as GatehouseError).details?.['problems'] as { path: string }[];
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['userName', 'emails.0.value', '(body)']));
    expect(await codeOf(tx((t) => createUser(t, admin, { userName: 'x'.repeat(300) })))).toBe(
      'directory.invalid',
    );
    expect(await codeOf(tx((t) => createUser(t, admin, { userName: 'nul\u0000' })))).toBe(
      'directory.invalid',
    );
  });

  test('users: conditional update by version; a stale version is refused', async () => {
    const bob = await tx((t) => createUser(t, admin, { userName: 'bob' }));
    const updated = await tx((t) => updateUser(t, admin, bob.id, { displayName: 'Bob B' }, { ifVersion: 1 }));
    expect(updated).toMatchObject({ displayName: 'Bob B', version: 2 });
    expect(
      await codeOf(tx((t) => updateUser(t, admin, bob.id, { displayName: 'stale' }, { ifVersion: 1 }))),
    ).toBe('directory.version_mismatch');
    expect((await getUser(ctx.db, bob.id)).displayName).toBe('Bob B');
    expect(await codeOf(getUser(ctx.db, 'not-a-uuid'))).toBe('directory.user_not_found');
  });

  test('lifecycle: disable moves validAfter and raises events; deprovision frees the name; erase keeps the tombstone', async () => {
    const carol = await tx((t) => createUser(t, admin, { userName: 'carol', emails: ['carol@example.com'] }));
    const before = carol.validAfter.getTime();
    await new Promise((r) => setTimeout(r, 10));
    const disabled = await tx((t) => disableUser(t, admin, carol.id, { reason: 'left team' }));
    expect(disabled.status).toBe('disabled');
    expect(disabled.validAfter.getTime()).toBeGreaterThan(before);
    expect((await tx((t) => disableUser(t, admin, carol.id))).version).toBe(disabled.version); // idempotent
    const enabled = await tx((t) => enableUser(t, admin, carol.id));
    expect(enabled.status).toBe('active');
    expect(enabled.validAfter).toEqual(disabled.validAfter); // enabling does not revive old sessions

    const gone = await tx((t) => deprovisionUser(t, admin, carol.id));
    expect(gone.status).toBe('deprovisioned');
    expect(await findUserByName(ctx.db, 'carol')).toBeUndefined();
    const newCarol = await tx((t) => createUser(t, admin, { userName: 'carol' }));
    expect(newCarol.id).not.toBe(carol.id);
    expect(await codeOf(tx((t) => enableUser(t, admin, carol.id)))).toBe('directory.user_deprovisioned');

    const erased = await tx((t) => eraseUser(t, admin, carol.id));
    expect(erased).toMatchObject({ displayName: null, emails: [], attributes: {} });
    expect(erased.userName).toBe(`erased-${carol.id}`);
    expect(erased.erasedAt).toBeInstanceOf(Date);

    const events = (await readEvents(ctx.db, 0, 10_000))
      .filter((e) => e.userId === carol.id)
      .map((e) => e.type);
    expect(events).toEqual([
      'user.created',
      'user.disabled',
      'user.enabled',
      'user.deprovisioned',
      'user.erased',
    ]);
  });

  test('the root administrator cannot be deprovisioned', async () => {
    const { rows } = await ctx.db.query<{ id: string }>(
      "insert into users (user_name, is_root) values ('root', true) returning id",
    );
    expect(await codeOf(tx((t) => deprovisionUser(t, admin, rows[0]!.id)))).toBe('directory.root_protected');
  });

  test('groups: nesting, effective groups in one query, cycles refused at any depth', async () => {
    const dave = await tx((t) => createUser(t, admin, { userName: 'dave' }));
    const [g1, g2, g3, g4] = await tx(async (t) => [
      await createGroup(t, admin, { name: 'level1' }),
      await createGroup(t, admin, { name: 'level2' }),
      await createGroup(t, admin, { name: 'level3' }),
      await createGroup(t, admin, { name: 'level4' }),
    ]);
    await tx(async (t) => {
      await addMember(t, admin, g1!.id, { userId: dave.id });
      await addMember(t, admin, g2!.id, { groupId: g1!.id });
      await addMember(t, admin, g3!.id, { groupId: g2!.id });
      await addMember(t, admin, g4!.id, { groupId: g3!.id });
    });
    const groups = await effectiveGroups(ctx.db, dave.id);
    expect(groups.map((g) => [g.name, g.depth])).toEqual([
      ['level1', 1],
      ['level2', 2],
      ['level3', 3],
      ['level4', 4],
    ]);
    expect(await codeOf(tx((t) => addMember(t, admin, g1!.id, { groupId: g4!.id })))).toBe(
      'directory.membership_cycle',
    );
    expect(await codeOf(tx((t) => addMember(t, admin, g1!.id, { groupId: g1!.id })))).toBe(
      'directory.membership_cycle',
    );
    expect(await tx((t) => addMember(t, admin, g1!.id, { userId: dave.id }))).toBe(false); // already a member

    const page = await listMembers(ctx.db, g2!.id, { limit: 10 });
    expect(page.members).toEqual([expect.objectContaining({ type: 'group', id: g1!.id, name: 'level1' })]);
    expect((await listUsers(ctx.db, { limit: 10, groupId: g4!.id })).users.map((u) => u.userName)).toEqual([
      'dave',
    ]);

    // Removing the middle link takes dave out of everything above it.
    expect(await tx((t) => removeMember(t, admin, g3!.id, { groupId: g2!.id }))).toBe(true);
    expect((await effectiveGroups(ctx.db, dave.id)).map((g) => g.name)).toEqual(['level1', 'level2']);
    const removed = (await readEvents(ctx.db, 0, 10_000)).filter(
      (e) => e.type === 'membership.removed' && e.userId === dave.id,
    );
    expect(removed.map((e) => e.groupId)).toEqual([g3!.id]);

    await tx((t) => deleteGroup(t, admin, g1!.id));
    expect(await effectiveGroups(ctx.db, dave.id)).toEqual([]);
  });

  test('concurrent nesting that would close a cycle: exactly one side wins', async () => {
    const [a, b] = await tx(async (t) => [
      await createGroup(t, admin, { name: 'cyc-a' }),
      await createGroup(t, admin, { name: 'cyc-b' }),
    ]);
    const results = await Promise.allSettled([
      tx((t) => addMember(t, admin, a!.id, { groupId: b!.id })),
      tx((t) => addMember(t, admin, b!.id, { groupId: a!.id })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
  });

  test('50 concurrent membership changes to one group lose nothing', async () => {
    const group = await tx((t) => createGroup(t, admin, { name: 'busy' }));
    const users = await tx(async (t) => {
      const created = [];
      for (let i = 0; i < 50; i++) created.push(await createUser(t, admin, { userName: `busy-${i}` }));
      return created;
    });
    await Promise.all(users.map((u) => tx((t) => addMember(t, admin, group.id, { userId: u.id }))));
    expect((await listMembers(ctx.db, group.id, { limit: 100 })).members).toHaveLength(50);
    // Half leave while the others are re-added, all at once.
    await Promise.all(
      users.map((u, i) =>
        tx((t) =>
          i % 2
            ? removeMember(t, admin, group.id, { userId: u.id })
            : addMember(t, admin, group.id, { userId: u.id }),
        ),
      ),
    );
    expect((await listMembers(ctx.db, group.id, { limit: 100 })).members).toHaveLength(25);
    expect(await verifyAudit(ctx.db)).toMatchObject({ ok: true });
  });

  test('group names are unique per source; renames are conditional', async () => {
    const g = await tx((t) => createGroup(t, admin, { name: 'Platform' }));
    expect(await codeOf(tx((t) => createGroup(t, admin, { name: 'platform' })))).toBe(
      'directory.group_exists',
    );
    await tx((t) => createGroup(t, admin, { name: 'platform' }, { source: 'ldap:corp' }));
    expect(await codeOf(tx((t) => updateGroup(t, admin, g.id, { name: 'Plat' }, { ifVersion: 7 })))).toBe(
      'directory.version_mismatch',
    );
    expect(await codeOf(tx((t) => createGroup(t, admin, { name: 'a/b' })))).toBe('directory.invalid');
  });

  test('listing users: keyset pages in name order, filters', async () => {
    await tx(async (t) => {
      for (const name of ['zed', 'Yvonne', 'xavier', 'walter'])
        await createUser(t, admin, { userName: `list-${name}`, displayName: name });
    });
    const seen: string[] = [];
    let after: { name: string; id: string } | undefined;
    do {
      const page = await listUsers(ctx.db, { limit: 3, search: 'list-', after });
      seen.push(...page.users.map((u) => u.userName));
      after = page.next;
    } while (after);
    expect(seen).toEqual(['list-walter', 'list-xavier', 'list-Yvonne', 'list-zed']);
    expect((await listUsers(ctx.db, { limit: 10, search: 'LIST-Y' })).users.map((u) => u.userName)).toEqual([
      'list-Yvonne',
    ]);
    expect((await listUsers(ctx.db, { limit: 10, search: '%' })).users).toEqual([]);
    expect(
      (await listUsers(ctx.db, { limit: 10, search: 'Alice@Example.com' })).users.map((u) => u.userName),
    ).toEqual(['alice']);
    expect(
      (await listUsers(ctx.db, { limit: 500, status: 'deprovisioned' })).users.every(
        (u) => u.status === 'deprovisioned',
      ),
    ).toBe(true);
  });
});
