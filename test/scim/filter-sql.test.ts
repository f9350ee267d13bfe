// Filters compiled to SQL, on both backends: what each one selects (case rules, multi-valued
// attributes, the enterprise extension, LIKE escaping), and fuzzing over HTTP: never a 500.
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseFilter } from '../../providers/scim/filter/parser.ts';
import { createUser } from '../../src/directory/users.ts';
import { createScimGroup, listScimGroups } from '../../src/scim/groups.ts';
import type { ListQuery } from '../../src/scim/list.ts';
import { createScimUser, deleteScimUser, listScimUsers, type ScimUserInput } from '../../src/scim/users.ts';
import { backends } from '../support/backends.ts';
import { damaged, grammarFilter } from './arbitraries.ts';
import { useScim } from './support.ts';

const ctx = { actor: 'test' };
const base: ScimUserInput = {
  userName: '',
  externalId: null,
  displayName: null,
  givenName: null,
  familyName: null,
  emails: [],
  active: true,
  enterprise: {},
  profile: {},
};

describe.each(backends)('SCIM filters → SQL on $name', (backend) => {
  const scim = useScim(backend.name);
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await scim.db.transaction(async (tx) => {
      const alice = await createScimUser(tx, ctx, {
        ...base,
        userName: 'alice@example.com',
        externalId: 'ext-a',
        displayName: 'Alice Anderson',
        givenName: 'Alice',
        familyName: 'Anderson',
        emails: [
          { value: 'alice@example.com', type: 'work', primary: true },
          { value: 'alice@home.net', type: 'home' },
        ],
        enterprise: { department: 'Sales' },
        profile: { title: 'Engineer' },
      });
      const bob = await createScimUser(tx, ctx, {
        ...base,
        userName: 'bob@example.com',
        displayName: 'Bob Brown',
        emails: [{ value: 'bob@example.org', type: 'work' }],
        active: false,
        enterprise: { department: 'Engineering' },
        profile: { userType: 'Intern' },
      });
      const carol = await createScimUser(tx, ctx, {
        ...base,
        userName: 'Carol_99',
        externalId: 'EXT-C',
        profile: { phoneNumbers: [{ type: 'mobile', value: '+33 1' }] },
      });
      const erin = await createScimUser(tx, ctx, { ...base, userName: 'erin@example.com' });
      await deleteScimUser(tx, ctx, erin.user.id);
      await createUser(tx, ctx, { userName: 'dave@example.com', emails: ['dave@example.org'] });
      const eng = await createScimGroup(tx, ctx, {
        displayName: 'eng',
        externalId: null,
        members: [{ value: alice.user.id }],
      });
      await createScimGroup(tx, ctx, { displayName: 'ops', externalId: 'g-ops', members: [] });
      Object.assign(ids, { alice: alice.user.id, bob: bob.user.id, carol: carol.user.id, eng: eng.id });
    });
  });

  const users = async (filter: string, extra: Partial<ListQuery> = {}) =>
    (await listScimUsers(scim.db, { filter: parseFilter(filter), startIndex: 1, count: 100, ...extra })).users
      .map((u) => u.user.userName)
      .sort();

  test('case rules: userName and emails case-insensitive, externalId and id exact', async () => {
    expect(await users('userName eq "ALICE@EXAMPLE.COM"')).toEqual(['alice@example.com']);
    expect(await users('externalId eq "ext-c"')).toEqual([]);
    expect(await users('externalId eq "EXT-C"')).toEqual(['Carol_99']);
    expect(await users(`id eq "${ids['bob']}"`)).toEqual(['bob@example.com']);
    expect(await users(`id eq "${ids['bob']!.toUpperCase()}"`)).toEqual(['bob@example.com']);
    expect(await users('id eq "nope"')).toEqual([]);
    expect(await users('id ne "nope"')).toHaveLength(3);
  });

  test('operators, LIKE escaping, presence and null', async () => {
    expect(await users('userName sw "a" or userName sw "C"')).toEqual(['Carol_99', 'alice@example.com']);
    expect(await users('userName co "_"')).toEqual(['Carol_99']);
    expect(await users('userName co "%"')).toEqual([]);
    expect(await users('name.familyName ew "SON"')).toEqual(['alice@example.com']);
    expect(await users('userName gt "b" and userName lt "c"')).toEqual(['bob@example.com']);
    expect(await users('displayName pr')).toEqual(['alice@example.com', 'bob@example.com']);
    expect(await users('displayName eq null')).toEqual(['Carol_99']);
    expect(await users('not (displayName pr)')).toEqual(['Carol_99']);
    expect(await users('meta.created gt "2000-01-01T00:00:00Z"')).toHaveLength(3);
    expect(await users('meta.lastModified lt "2000-01-01T00:00:00Z"')).toEqual([]);
  });

  test('active, profile attributes, the enterprise extension', async () => {
    expect(await users('active eq false')).toEqual(['bob@example.com']);
    expect(await users('active eq "True"')).toEqual(['Carol_99', 'alice@example.com']);
    expect(await users('title pr')).toEqual(['alice@example.com']);
    expect(await users('userType eq "intern"')).toEqual(['bob@example.com']);
    expect(await users('department eq "sales"')).toEqual(['alice@example.com']);
    expect(
      await users('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Engineering"'),
    ).toEqual(['bob@example.com']);
  });

  test('multi-valued: values, value filters, presence, groups', async () => {
    expect(await users('emails co "example.org"')).toEqual(['bob@example.com']);
    expect(await users('emails.value ew ".NET"')).toEqual(['alice@example.com']);
    expect(await users('emails[type eq "work" and value sw "ALICE"]')).toEqual(['alice@example.com']);
    expect(await users('emails[type eq "home"] and emails[primary eq true]')).toEqual(['alice@example.com']);
    expect(await users('emails[type eq "home" and primary eq true]')).toEqual([]);
    expect(await users('emails pr')).toEqual(['alice@example.com', 'bob@example.com']);
    expect(await users('not (emails pr)')).toEqual(['Carol_99']);
    expect(await users('phoneNumbers[type eq "mobile"]')).toEqual(['Carol_99']);
    expect(await users(`groups.value eq "${ids['eng']}"`)).toEqual(['alice@example.com']);
  });

  test('sorting and pages; the total counts every match', async () => {
    const page = await listScimUsers(scim.db, {
      sortBy: { attr: 'userName' },
      descending: true,
      startIndex: 2,
      count: 1,
    });
    expect(page.total).toBe(3);
    expect(page.users.map((u) => u.user.userName)).toEqual(['bob@example.com']);
    const byEmail = await listScimUsers(scim.db, { sortBy: { attr: 'emails' }, startIndex: 1, count: 10 });
    expect(byEmail.users.map((u) => u.user.userName)).toEqual([
      'alice@example.com',
      'bob@example.com',
      'Carol_99',
    ]);
    const none = await listScimUsers(scim.db, { startIndex: 1, count: 0 });
    expect(none).toEqual({ total: 3, users: [] });
    const beyond = await listScimUsers(scim.db, { startIndex: 10, count: 10 });
    expect(beyond).toEqual({ total: 3, users: [] });
  });

  test('groups: displayName, externalId, membership as Entra ID asks it', async () => {
    const groups = async (filter: string) =>
      (await listScimGroups(scim.db, { filter: parseFilter(filter), startIndex: 1, count: 10 })).groups.map(
        (g) => g.name,
      );
    expect(await groups('displayName eq "ENG"')).toEqual(['eng']);
    expect(await groups('externalId eq "g-ops"')).toEqual(['ops']);
    expect(await groups(`members[value eq "${ids['alice']}"]`)).toEqual(['eng']);
    expect(await groups(`id eq "${ids['eng']}" and members[value eq "${ids['bob']}"]`)).toEqual([]);
    expect(await groups('members pr')).toEqual(['eng']);
    expect(await groups('members[type eq "User" and display sw "alice"]')).toEqual(['eng']);
  });

  test('fuzzing over HTTP: every filter is 200 or 400 invalidFilter, never a 500', async () => {
    const check = async (filter: string) => {
      const answer = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`);
      if (answer.status !== 200) {
        expect([answer.status, answer.body.scimType], filter).toEqual([400, 'invalidFilter']);
      }
      const groups = await scim.post('/Groups/.search', { filter });
      if (groups.status !== 200)
        expect([groups.status, groups.body.scimType], filter).toEqual([400, 'invalidFilter']);
    };
    await fc.assert(fc.asyncProperty(grammarFilter, check), { numRuns: 120 });
    await fc.assert(fc.asyncProperty(damaged, check), { numRuns: 80 });
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 80 }), check), { numRuns: 60 });
  }, 120_000);
});
