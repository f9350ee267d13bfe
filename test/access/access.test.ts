import { describe, expect, test } from 'vitest';
import { createAccount, deleteAccount, getAccount, updateAccount } from '../../src/access/accounts.ts';
import { effectiveAccess, listAssignments, removeAssignment } from '../../src/access/assignments.ts';
import { openCatalog } from '../../src/access/catalog.ts';
import {
  createPermissionSet,
  deletePermissionSet,
  getPermissionSet,
  updatePermissionSet,
} from '../../src/access/permission-sets.ts';
import { createPolicy, deletePolicy, updatePolicy } from '../../src/access/policies.ts';
import { verifyAudit } from '../../src/audit/audit.ts';
import { createCredentialIssuer } from '../../src/credentials/issue.ts';
import { readEvents } from '../../src/directory/events.ts';
import { removeMember } from '../../src/directory/members.ts';
import { disableUser, findUserByName } from '../../src/directory/users.ts';
import { GatehouseError } from '../../src/errors.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { codeOf } from '../support/errors.ts';
import { admin, keyRing, S3_READ, seedAccess } from './support.ts';

describe.each(backends)('access on $name', (backend) => {
  const ctx = useDb(backend);
  const tx = <T>(fn: Parameters<typeof ctx.db.transaction<T>>[0]) => ctx.db.transaction(fn);

  test('effective access: direct assignments and those of every group, through nesting', async () => {
    const s = await seedAccess(ctx.db, 'eff');
    const alice = await effectiveAccess(ctx.db, s.alice.id);
    expect(alice).toEqual([
      expect.objectContaining({
        accountId: s.account.id,
        permissionSetId: s.developer.id,
        permissionSetName: s.developer.name,
        sessionDuration: 'PT8H',
        via: [`group:${s.engineering.id}`],
      }),
    ]);
    expect((await effectiveAccess(ctx.db, s.bob.id))[0]!.via).toEqual([`user:${s.bob.id}`]);
    expect(await effectiveAccess(ctx.db, s.carol.id)).toEqual([]);
    expect(s.account.id).toMatch(/^\d{12}$/);
  });

  test('a group assignment grants a member credentials; leaving the group stops new ones (event emitted)', async () => {
    const s = await seedAccess(ctx.db, 'leave');
    const keys = await keyRing(ctx.db);
    const issuer = createCredentialIssuer(ctx.db, keys);
    const request = {
      userId: s.alice.id,
      accountId: s.account.id,
      permissionSetId: s.developer.id,
      mfa: true,
    };
    const issued = await issuer.issue(request, admin);
    expect(issued.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(issued.SecretAccessKey).toHaveLength(40);
    expect(Date.parse(issued.Expiration) - Date.now()).toBeGreaterThan(7.9 * 3600_000);

    const before = (await readEvents(ctx.db, 0, 100_000)).at(-1)!.id;
    await tx((t) => removeMember(t, admin, s.devs.id, { userId: s.alice.id }));
    const events = await readEvents(ctx.db, before);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'membership.removed', userId: s.alice.id, groupId: s.devs.id }),
    );
    expect(await codeOf(issuer.issue(request, admin))).toBe('credentials.not_assigned');
    expect(await codeOf(issuer.issue({ ...request, userId: s.carol.id }, admin))).toBe(
      'credentials.not_assigned',
    );
  });

  test('the root administrator is refused credentials, and cannot be assigned', async () => {
    const s = await seedAccess(ctx.db, 'root');
    const root = await tx(async (t) => {
      const { rows } = await t.query<{ id: string }>(
        "insert into users (user_name, is_root) values ('root-access', true) returning id",
      );
      return rows[0]!.id;
    });
    // Even with an assignment written past the domain (e.g. through a group), root gets nothing.
    await tx((t) =>
      t.query('insert into group_members (group_id, member_user_id) values ($1, $2)', [
        s.engineering.id,
        root,
      ]),
    );
    const issuer = createCredentialIssuer(ctx.db, await keyRing(ctx.db));
    expect(
      await codeOf(
        issuer.issue(
          { userId: root, accountId: s.account.id, permissionSetId: s.developer.id, mfa: true },
          admin,
        ),
      ),
    ).toBe('credentials.root');
    const error = await tx((t) =>
      import('../../src/access/assignments.ts').then((m) =>
        m.createAssignment(t, admin, {
          accountId: s.account.id,
          permissionSetId: s.developer.id,
          userId: root,
        }),
      ),
    ).catch((e: unknown) => e);
    expect((error as GatehouseError).details?.['problems']).toEqual([
      { path: 'userId', message: 'the root administrator can never hold credentials' },
    ]);
    const { rows } = await ctx.db.query<{ outcome: string; details: { reason: string } }>(
      "select outcome, details from audit_log where action = 'credentials.issue' and target = $1",
      [`user:${root}`],
    );
    expect(rows).toEqual([
      { outcome: 'denied', details: expect.objectContaining({ reason: 'credentials.root' }) },
    ]);
  });

  test('a disabled user is refused credentials', async () => {
    const s = await seedAccess(ctx.db, 'disabled');
    await tx((t) => disableUser(t, admin, s.bob.id));
    const issuer = createCredentialIssuer(ctx.db, await keyRing(ctx.db));
    expect(
      await codeOf(
        issuer.issue(
          { userId: s.bob.id, accountId: s.account.id, permissionSetId: s.developer.id, mfa: false },
          admin,
        ),
      ),
    ).toBe('credentials.user_inactive');
  });

  test('an invalid policy is refused with the JSON path of the error', async () => {
    const bad = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Maybe', Action: '*', Resource: '*' },
      ],
    };
    const error = (await tx((t) =>
      createPermissionSet(t, admin, { name: 'Broken', inlinePolicy: bad }),
    ).catch((e: unknown) => e)) as GatehouseError;
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error.code).toBe('access.invalid_policy');
    expect(error.details?.['problems']).toEqual([
      expect.objectContaining({ path: 'inlinePolicy.Statement[1].Effect' }),
    ]);
    const managed = (await tx((t) => createPolicy(t, admin, { name: 'BrokenManaged', document: bad })).catch(
      (e: unknown) => e,
    )) as GatehouseError;
    expect(managed.details?.['problems']).toEqual([
      expect.objectContaining({ path: 'document.Statement[1].Effect' }),
    ]);
    expect(
      await codeOf(tx((t) => createPermissionSet(t, admin, { name: 'Long', sessionDuration: 'PT13H' }))),
    ).toBe('access.invalid');
    expect(
      await codeOf(tx((t) => createPermissionSet(t, admin, { name: 'Unknown', managedPolicies: ['Nope'] }))),
    ).toBe('access.invalid');
  });

  test('changes bump versions and emit events; removals emit assignment.removed per user reached', async () => {
    const s = await seedAccess(ctx.db, 'events');
    const before = (await readEvents(ctx.db, 0, 100_000)).at(-1)!.id;
    const changed = await tx((t) =>
      updatePermissionSet(t, admin, s.developer.id, { sessionDuration: 'PT2H' }),
    );
    expect(changed.version).toBe(2);
    await tx((t) =>
      updatePolicy(t, admin, s.policy.id, {
        document: { ...S3_READ, Statement: [{ ...S3_READ.Statement[0], Action: ['s3:Get*'] }] },
      }),
    );
    expect((await getPermissionSet(ctx.db, s.developer.id)).version).toBe(3);
    await tx((t) => removeAssignment(t, admin, s.groupAssignment.id));
    const events = await readEvents(ctx.db, before);
    expect(events.map((e) => e.type)).toEqual([
      'permission_set.updated',
      'policy.updated',
      'permission_set.updated',
      'assignment.removed',
    ]);
    expect(events[3]).toMatchObject({
      userId: s.alice.id,
      groupId: s.engineering.id,
      data: { accountId: s.account.id, permissionSetId: s.developer.id },
    });
    expect(await effectiveAccess(ctx.db, s.alice.id)).toEqual([]);

    expect(await codeOf(tx((t) => deletePolicy(t, admin, s.policy.id)))).toBe('access.policy_in_use');
    await tx((t) => deletePermissionSet(t, admin, s.developer.id));
    const after = await readEvents(ctx.db, events.at(-1)!.id);
    expect(after.map((e) => e.type)).toEqual(['assignment.removed', 'permission_set.deleted']);
    expect(await listAssignments(ctx.db, { accountId: s.account.id })).toEqual([]);
    await tx((t) => deletePolicy(t, admin, s.policy.id));
    expect((await verifyAudit(ctx.db)).ok).toBe(true);
  });

  test('accounts: custom ids, updates, delete removes its assignments', async () => {
    const s = await seedAccess(ctx.db, 'accounts');
    const custom = await tx((t) =>
      createAccount(t, admin, { id: 'lab-01', name: 'Lab', tags: { env: 'lab' } }),
    );
    expect(custom.id).toBe('lab-01');
    expect(await codeOf(tx((t) => createAccount(t, admin, { id: 'lab-01', name: 'Other' })))).toBe(
      'access.account_exists',
    );
    const renamed = await tx((t) => updateAccount(t, admin, 'lab-01', { name: 'Laboratory' }));
    expect(renamed).toMatchObject({ name: 'Laboratory', version: 2 });
    await tx((t) => deleteAccount(t, admin, s.account.id));
    expect(await codeOf(getAccount(ctx.db, s.account.id))).toBe('access.account_not_found');
    expect(await effectiveAccess(ctx.db, s.bob.id)).toEqual([]);
  });

  test('the catalog compiles permission sets and follows changes', async () => {
    const s = await seedAccess(ctx.db, 'catalog');
    const catalog = await openCatalog(ctx.db);
    try {
      expect(catalog.get(s.developer.id)).toMatchObject({ name: s.developer.name, version: 1 });
      await tx((t) => updatePermissionSet(t, admin, s.developer.id, { description: 'changed' }));
      await catalog.refresh();
      expect(catalog.get(s.developer.id)?.version).toBe(2);
      expect((await findUserByName(ctx.db, s.alice.userName))?.id).toBe(s.alice.id);
    } finally {
      await catalog.close();
    }
  });
});
