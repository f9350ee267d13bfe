// The request sequences real senders use, replayed as their documentation describes them:
// Okta (SCIM 2.0 provisioning integration) and Microsoft Entra ID (its SCIM validator's
// requests, with Entra's quirks: capitalised ops, booleans as strings, `manager` as a list,
// `remove members` with a value list, membership checks by filter). Each ends with the directory
// in the expected state and the domain events the revocation path consumes.
import { describe, expect, test } from 'vitest';
import { readEvents } from '../../src/directory/events.ts';
import { findGroup } from '../../src/directory/groups.ts';
import { effectiveGroups } from '../../src/directory/members.ts';
import { findUser } from '../../src/directory/users.ts';
import { backends } from '../support/backends.ts';
import { ENTERPRISE, GROUP, patchOp, USER, useScim } from './support.ts';

const eventsOf = async (scim: ReturnType<typeof useScim>, userId: string) =>
  (await readEvents(scim.db, 0, 100_000)).filter((e) => e.userId === userId).map((e) => e.type);

describe.each(backends)('Okta provisioning sequence on $name', (backend) => {
  const scim = useScim(backend.name);

  test('create, look up by userName, update, deactivate, reactivate, push a group, unassign, delete', async () => {
    const userName = 'test.user@okta.local';
    const lookup = await scim.get(
      `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`,
    );
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ totalResults: 0, Resources: [] });

    const created = await scim.post('/Users', {
      schemas: [USER],
      userName,
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(created.headers.get('location')).toBe(created.body.meta.location);
    expect(created.body).toMatchObject({
      userName,
      active: true,
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
    });
    expect(created.body).not.toHaveProperty('password');
    const id: string = created.body.id;

    const again = await scim.get(
      `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`,
    );
    expect(again.body.totalResults).toBe(1);
    expect(again.body.Resources[0].id).toBe(id);
    expect((await scim.get(`/Users/${id}`)).body.name).toEqual({ givenName: 'Test', familyName: 'User' });

    // Okta updates profiles with PUT, sending the whole user back.
    const updated = await scim.put(`/Users/${id}`, {
      ...created.body,
      name: { givenName: 'Another', familyName: 'User' },
      emails: [{ primary: true, value: 'another.user@okta.local', type: 'work' }],
    });
    expect(updated.status).toBe(200);
    expect(updated.body.name.givenName).toBe('Another');

    const deactivated = await scim.patch(
      `/Users/${id}`,
      patchOp({ op: 'replace', value: { active: false } }),
    );
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect((await findUser(scim.db, id))?.status).toBe('disabled');
    const reactivated = await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: true } }));
    expect(reactivated.body.active).toBe(true);

    // Group push.
    const group = await scim.post('/Groups', { schemas: [GROUP], displayName: 'Test SCIMv2', members: [] });
    expect(group.status).toBe(201);
    const gid: string = group.body.id;
    const found = await scim.get(
      `/Groups?filter=${encodeURIComponent('displayName eq "Test SCIMv2"')}&startIndex=1&count=100`,
    );
    expect(found.body.Resources.map((g: { id: string }) => g.id)).toEqual([gid]);
    const added = await scim.patch(
      `/Groups/${gid}`,
      patchOp({ op: 'add', path: 'members', value: [{ value: id, display: 'another.user@okta.local' }] }),
    );
    expect(added.status).toBe(204);
    expect((await effectiveGroups(scim.db, id)).map((g) => g.id)).toEqual([gid]);
    const renamed = await scim.patch(
      `/Groups/${gid}`,
      patchOp({ op: 'replace', value: { id: gid, displayName: 'Test SCIMv2 renamed' } }),
    );
    expect(renamed.status).toBe(204);
    expect((await findGroup(scim.db, gid))?.name).toBe('Test SCIMv2 renamed');
    const removed = await scim.patch(
      `/Groups/${gid}`,
      patchOp({ op: 'remove', path: `members[value eq "${id}"]` }),
    );
    expect(removed.status).toBe(204);
    expect(await effectiveGroups(scim.db, id)).toEqual([]);
    expect((await scim.del(`/Groups/${gid}`)).status).toBe(204);
    expect(await findGroup(scim.db, gid)).toBeUndefined();

    expect((await scim.del(`/Users/${id}`)).status).toBe(204);
    expect((await scim.get(`/Users/${id}`)).status).toBe(404);
    const user = await findUser(scim.db, id);
    expect(user).toMatchObject({
      status: 'deprovisioned',
      source: 'scim',
      externalId: '00ujl29u0le5T6Aj10h7',
    });
    expect(await eventsOf(scim, id)).toEqual([
      'user.created',
      'user.updated',
      'user.disabled',
      'user.enabled',
      'membership.added',
      'membership.removed',
      'user.deprovisioned',
    ]);
  });
});

describe.each(backends)('Microsoft Entra ID provisioning sequence on $name', (backend) => {
  const scim = useScim(backend.name);

  test('users: create, get, filter, PATCH with Entra quirks, disable with "False", delete', async () => {
    const userName = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
    const none = await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });

    const manager = await scim.post('/Users', { schemas: [USER], userName: 'Test_Manager_1', active: true });
    const created = await scim.post('/Users', {
      schemas: [USER, ENTERPRISE],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName,
      active: true,
      emails: [
        { primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' },
      ],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    expect(created.body.name).toEqual({
      formatted: 'givenName familyName',
      familyName: 'familyName',
      givenName: 'givenName',
    });
    expect((await scim.get(`/Users/${id}`)).status).toBe(200);
    const one = await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(one.body.totalResults).toBe(1);

    const patched = await scim.patch(
      `/Users/${id}`,
      patchOp(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Add', path: 'manager', value: [{ $ref: null, value: manager.body.id }] },
        { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Sales' },
        { op: 'Add', value: { [`${ENTERPRISE}:employeeNumber`]: '42', 'name.givenName': 'newGiven' } },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
      ),
    );
    expect(patched.status).toBe(200);
    expect(patched.body.emails).toEqual([
      { primary: true, type: 'work', value: 'updatedEmail@microsoft.com' },
    ]);
    expect(patched.body.name).toMatchObject({ familyName: 'updatedFamilyName', givenName: 'newGiven' });
    expect(patched.body[ENTERPRISE]).toMatchObject({
      department: 'Sales',
      employeeNumber: '42',
      manager: { value: manager.body.id },
    });
    expect(patched.body.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 555 0100' }]);
    // The enterprise extension lives in the directory's attributes (session tags).
    expect((await findUser(scim.db, id))?.attributes).toEqual({
      department: 'Sales',
      employeeNumber: '42',
      manager: manager.body.id,
    });

    const disabled = await scim.patch(
      `/Users/${id}`,
      patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    );
    expect(disabled.status).toBe(200);
    expect(disabled.body.active).toBe(false);
    expect((await findUser(scim.db, id))?.status).toBe('disabled');
    const enabled = await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: 'True' } }));
    expect(enabled.body.active).toBe(true);

    expect((await scim.del(`/Users/${id}`)).status).toBe(204);
    expect((await scim.get(`/Users/${id}`)).status).toBe(404);
    expect((await scim.del(`/Users/${id}`)).status).toBe(404);
    expect((await findUser(scim.db, id))?.status).toBe('deprovisioned');
    const events = await eventsOf(scim, id);
    expect(events.filter((e) => e !== 'user.updated')).toEqual([
      'user.created',
      'user.disabled',
      'user.enabled',
      'user.deprovisioned',
    ]);
  });

  test('groups: create, get without members, rename, add member, check by filter, remove with a value list, delete', async () => {
    const member = await scim.post('/Users', { schemas: [USER], userName: 'Test_User_member', active: true });
    const uid: string = member.body.id;
    const byName = (name: string) =>
      scim.get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${name}"`)}`);
    expect((await byName('displayName')).body.totalResults).toBe(0);
    const created = await scim.post('/Groups', {
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'displayName',
      meta: { resourceType: 'Group' },
      schemas: [GROUP],
    });
    expect(created.status).toBe(201);
    const gid: string = created.body.id;
    const fetched = await scim.get(`/Groups/${gid}?excludedAttributes=members`);
    expect(fetched.body).not.toHaveProperty('members');
    expect(fetched.body).toMatchObject({
      displayName: 'displayName',
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
    });
    expect((await byName('displayName')).body.Resources[0]).not.toHaveProperty('members');

    const renamed = 'displayName1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName';
    expect(
      (await scim.patch(`/Groups/${gid}`, patchOp({ op: 'Replace', path: 'displayName', value: renamed })))
        .status,
    ).toBe(204);
    expect((await byName(renamed)).body.totalResults).toBe(1);

    const memberCheck = async () =>
      (
        await scim.get(
          `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`id eq "${gid}" and members[value eq "${uid}"]`)}`,
        )
      ).body.totalResults;
    expect(await memberCheck()).toBe(0);
    const add = await scim.patch(
      `/Groups/${gid}`,
      patchOp({ op: 'Add', path: 'members', value: [{ $ref: null, value: uid }] }),
    );
    expect(add.status).toBe(204);
    expect(await memberCheck()).toBe(1);
    expect((await effectiveGroups(scim.db, uid)).map((g) => g.id)).toEqual([gid]);
    const remove = await scim.patch(
      `/Groups/${gid}`,
      patchOp({ op: 'Remove', path: 'members', value: [{ $ref: null, value: uid }] }),
    );
    expect(remove.status).toBe(204);
    expect(await memberCheck()).toBe(0);
    expect(await effectiveGroups(scim.db, uid)).toEqual([]);
    expect(await eventsOf(scim, uid)).toEqual(['user.created', 'membership.added', 'membership.removed']);

    expect((await scim.del(`/Groups/${gid}`)).status).toBe(204);
    expect((await scim.get(`/Groups/${gid}`)).status).toBe(404);
  });
});
