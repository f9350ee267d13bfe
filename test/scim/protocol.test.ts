// The protocol around the resources: authentication, discovery, errors (SCIM JSON with the right
// scimType and status, never a 500 for bad input), ETags, pages, projection, PATCH rules, Bulk.
import { describe, expect, test } from 'vitest';
import { readEvents } from '../../src/directory/events.ts';
import { createUsers, findUser } from '../../src/directory/users.ts';
import { tokenBuckets } from '../../src/rate-limit.ts';
import { createToken } from '../../src/tokens/tokens.ts';
import { backends } from '../support/backends.ts';
import { ENTERPRISE, GROUP, type Json, patchOp, USER, useScim } from './support.ts';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe.each(backends)('SCIM protocol on $name', (backend) => {
  const scim = useScim(backend.name);
  const newUser = async (userName: string, extra: Json = {}) => {
    const answer = await scim.post('/Users', { schemas: [USER], userName, ...extra });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body;
  };
  const scimType = (answer: { body: Json }) => answer.body.scimType;

  test('authentication: SCIM tokens only; admin API tokens and SCIM tokens do not cross', async () => {
    const anonymous = await fetch(`${scim.server.url}/scim/v2/Users`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse-scim"');
    expect(await anonymous.json()).toMatchObject({ schemas: [ERROR], status: '401' });
    const admin = await scim.db.transaction((tx) =>
      createToken(tx, { actor: 'test' }, { name: 'admin', scopes: ['admin'] }),
    );
    expect((await scim.get('/Users', { authorization: `Bearer ${admin.token}` })).status).toBe(401);
    const api = await fetch(`${scim.server.url}/api/v1/users`, {
      headers: { authorization: `Bearer ${scim.token}` },
    });
    expect(api.status).toBe(401);
    expect((await scim.get('/Users', { authorization: 'Bearer ghs_nope' })).status).toBe(401);
  });

  test('discovery: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
    const config = await scim.get('/ServiceProviderConfig');
    expect(config.body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000 },
      filter: { supported: true, maxResults: 1000 },
      etag: { supported: true },
      sort: { supported: true },
      changePassword: { supported: false },
    });
    const types = await scim.get('/ResourceTypes');
    expect(types.body.Resources.map((r: Json) => r.id)).toEqual(['User', 'Group']);
    expect((await scim.get('/ResourceTypes/Group')).body.schema).toBe(GROUP);
    const schemas = await scim.get('/Schemas');
    expect(schemas.body.Resources.map((r: Json) => r.id)).toEqual([USER, ENTERPRISE, GROUP]);
    const user = await scim.get(`/Schemas/${USER}`);
    expect(user.body.attributes.find((a: Json) => a.name === 'userName')).toMatchObject({
      required: true,
      uniqueness: 'server',
    });
    expect((await scim.get('/Schemas/urn:nope')).status).toBe(404);
    expect((await scim.get('/Nope')).body).toMatchObject({ schemas: [ERROR], status: '404' });
    expect((await scim.call('DELETE', '/ServiceProviderConfig')).status).toBe(405);
  });

  test('errors: uniqueness, invalidSyntax, invalidValue, not found; bad input is never a 500', async () => {
    await newUser('unique@example.com');
    const taken = await scim.post('/Users', { schemas: [USER], userName: 'UNIQUE@example.com' });
    expect([taken.status, scimType(taken)]).toEqual([409, 'uniqueness']);
    expect(taken.body.schemas).toEqual([ERROR]);
    const cases: [unknown, number, string][] = [
      ['{not json', 400, 'invalidSyntax'],
      [[], 400, 'invalidSyntax'],
      [{ schemas: [USER] }, 400, 'invalidValue'],
      [{ userName: 'x y' }, 400, 'invalidValue'],
      [{ userName: 'ok1', emails: [{ value: 'not-an-email' }] }, 400, 'invalidValue'],
      [{ userName: 'ok2', emails: 'a@b.c' }, 400, 'invalidValue'],
      [{ userName: 'ok3', active: 'maybe' }, 400, 'invalidValue'],
      [{ userName: 'ok4', name: { givenName: 7 } }, 400, 'invalidValue'],
      [{ userName: 'ok5', title: 'x'.repeat(5000) }, 400, 'invalidValue'],
    ];
    for (const [body, status, type] of cases) {
      const answer = await scim.post('/Users', body);
      expect([answer.status, scimType(answer)], JSON.stringify(body)).toEqual([status, type]);
    }
    for (const path of ['/Users/not-a-uuid', '/Users/00000000-0000-4000-8000-000000000000', '/Groups/x']) {
      const answer = await scim.get(path);
      expect(answer.status).toBe(404);
      expect(answer.body.status).toBe('404');
    }
    for (const query of [
      'startIndex=abc',
      'count=1.5',
      'sortBy=nosuch',
      'sortOrder=sideways',
      'attributes=a[b',
      'sortBy=' + encodeURIComponent('name'),
    ]) {
      const answer = await scim.get(`/Users?${query}`);
      expect([answer.status, scimType(answer)], query).toEqual([400, 'invalidValue']);
    }
    expect(
      (
        await scim.patch(
          '/Users/00000000-0000-4000-8000-000000000000',
          patchOp({ op: 'add', path: 'title', value: 'x' }),
        )
      ).status,
    ).toBe(404);
    const group = await scim.post('/Groups', { displayName: 'dup' });
    expect(group.status).toBe(201);
    const dup = await scim.post('/Groups', { displayName: 'DUP' });
    expect([dup.status, scimType(dup)]).toEqual([409, 'uniqueness']);
    const badMember = await scim.post('/Groups', { displayName: 'bad', members: [{ value: 'nobody' }] });
    expect([badMember.status, scimType(badMember)]).toEqual([400, 'invalidValue']);
  });

  test('ETags: meta.version, If-Match (stale is 412), If-None-Match (304)', async () => {
    const user = await newUser('etag@example.com');
    const id = user.id;
    expect(user.meta.version).toBe('W/"1"');
    const changed = await scim.put(
      `/Users/${id}`,
      { userName: 'etag@example.com', title: 'Boss' },
      { 'if-match': 'W/"1"' },
    );
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe('W/"2"');
    expect(changed.body.meta.version).toBe('W/"2"');
    const unchanged = await scim.put(`/Users/${id}`, { userName: 'etag@example.com', title: 'Boss' });
    expect(unchanged.body.meta.version).toBe('W/"2"');
    for (const header of ['W/"1"', '"abc"', 'W/"999"']) {
      const stale = await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }), {
        'if-match': header,
      });
      expect(stale.status, header).toBe(412);
    }
    expect((await scim.del(`/Users/${id}`, { 'if-match': 'W/"1"' })).status).toBe(412);
    expect((await scim.get(`/Users/${id}`, { 'if-none-match': 'W/"2"' })).status).toBe(304);
    expect((await scim.get(`/Users/${id}`, { 'if-none-match': 'W/"1"' })).status).toBe(200);
    const group = await scim.post('/Groups', { displayName: 'etag-group' });
    const added = await scim.patch(
      `/Groups/${group.body.id}`,
      patchOp({ op: 'add', path: 'members', value: [{ value: id }] }),
      {
        'if-match': 'W/"1"',
      },
    );
    expect(added.status).toBe(204);
    expect(added.headers.get('etag')).toBe('W/"2"');
    const stale = await scim.patch(`/Groups/${group.body.id}`, patchOp({ op: 'remove', path: 'members' }), {
      'if-match': 'W/"1"',
    });
    expect(stale.status).toBe(412);
    expect((await scim.del(`/Users/${id}`, { 'if-match': 'W/"2"' })).status).toBe(204);
  });

  test('pages, sorting, attributes and excludedAttributes', async () => {
    for (const n of ['p3', 'p1', 'p5', 'p2', 'p4'])
      await newUser(`page-${n}`, { title: n, emails: [{ value: `${n}@example.com`, type: 'work' }] });
    const filter = encodeURIComponent('userName sw "page-"');
    const page = await scim.get(
      `/Users?filter=${filter}&sortBy=userName&sortOrder=descending&startIndex=2&count=2`,
    );
    expect(page.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
    expect(page.body.Resources.map((r: Json) => r.userName)).toEqual(['page-p4', 'page-p3']);
    const counted = await scim.get(`/Users?filter=${filter}&count=0`);
    expect(counted.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    const negative = await scim.get(`/Users?filter=${filter}&startIndex=-4&count=1&sortBy=title`);
    expect(negative.body.Resources.map((r: Json) => r.userName)).toEqual(['page-p1']);
    const only = await scim.get(
      `/Users?filter=${filter}&count=1&sortBy=userName&attributes=userName,emails.value`,
    );
    expect(only.body.Resources[0]).toEqual({
      schemas: [USER],
      id: expect.any(String),
      userName: 'page-p1',
      emails: [{ value: 'p1@example.com' }],
    });
    const without = await scim.get(
      `/Users?filter=${filter}&count=1&sortBy=userName&excludedAttributes=emails,meta,id`,
    );
    expect(Object.keys(without.body.Resources[0]).sort()).toEqual([
      'active',
      'id',
      'schemas',
      'title',
      'userName',
    ]);
    const search = await scim.post('/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName sw "page-" and title eq "p2"',
      attributes: ['userName'],
    });
    expect(search.body.Resources).toEqual([{ schemas: [USER], id: expect.any(String), userName: 'page-p2' }]);
    const withGroups = await scim.get(`/Users?filter=${filter}&count=1&attributes=groups`);
    expect(withGroups.body.Resources[0].groups).toEqual([]);
  });

  test('PATCH rules: read-only, unknown paths, remove without path, no target, multi-valued values', async () => {
    const user = await newUser('patch@example.com', {
      emails: [
        { value: 'work@example.com', type: 'work', primary: true },
        { value: 'home@example.com', type: 'home' },
      ],
    });
    const url = `/Users/${user.id}`;
    const expectType = async (ops: Json[], status: number, type: string | undefined) => {
      const answer = await scim.patch(url, patchOp(...ops));
      expect([answer.status, answer.body?.scimType], JSON.stringify(ops)).toEqual([status, type]);
    };
    await expectType([{ op: 'replace', path: 'id', value: 'x' }], 400, 'mutability');
    await expectType([{ op: 'replace', path: 'meta.created', value: 'x' }], 400, 'mutability');
    await expectType([{ op: 'replace', path: 'nosuch', value: 'x' }], 400, 'invalidPath');
    await expectType([{ op: 'replace', path: 'emails[type eq', value: 'x' }], 400, 'invalidPath');
    await expectType([{ op: 'replace', path: 'urn:nope:x:y', value: 'x' }], 400, 'invalidPath');
    await expectType([{ op: 'remove' }], 400, 'noTarget');
    await expectType(
      [{ op: 'replace', path: 'emails[type eq "x" or value co "y"].value', value: 'z@example.com' }],
      400,
      'noTarget',
    );
    await expectType([{ op: 'move', path: 'title' }], 400, 'invalidSyntax');
    await expectType([{ op: 'replace', path: 'active', value: 'perhaps' }], 400, 'invalidValue');
    expect((await scim.patch(url, { Operations: [] })).body.scimType).toBe('invalidSyntax');

    const primary = await scim.patch(
      url,
      patchOp({ op: 'replace', path: 'emails[type eq "home"].primary', value: true }),
    );
    expect(primary.body.emails).toEqual([
      { value: 'work@example.com', type: 'work', primary: false },
      { value: 'home@example.com', type: 'home', primary: true },
    ]);
    const removed = await scim.patch(
      url,
      patchOp({ op: 'remove', path: 'emails[type eq "work"]' }, { op: 'add', path: 'nickName', value: 'P' }),
    );
    expect(removed.body.emails).toEqual([{ value: 'home@example.com', type: 'home', primary: true }]);
    expect(removed.body.nickName).toBe('P');
    const replaced = await scim.patch(
      url,
      patchOp(
        { op: 'replace', path: 'emails', value: [{ value: 'only@example.com' }] },
        { op: 'remove', path: 'nickName' },
      ),
    );
    expect(replaced.body.emails).toEqual([{ value: 'only@example.com' }]);
    expect(replaced.body).not.toHaveProperty('nickName');
    const taken = await newUser('other@example.com');
    const clash = await scim.patch(
      url,
      patchOp({ op: 'replace', path: 'userName', value: taken.userName.toUpperCase() }),
    );
    expect([clash.status, clash.body.scimType]).toEqual([409, 'uniqueness']);
  });

  test('a user deleted and created again (same externalId) comes back as the same identity', async () => {
    const first = await newUser('returning@example.com', { externalId: 'hr-77' });
    const dup = await scim.post('/Users', { userName: 'someone-else', externalId: 'hr-77' });
    expect([dup.status, dup.body.scimType]).toEqual([409, 'uniqueness']);
    expect((await scim.del(`/Users/${first.id}`)).status).toBe(204);
    const back = await newUser('returning@example.com', { externalId: 'hr-77', active: true });
    expect(back.id).toBe(first.id);
    expect(back.active).toBe(true);
    const types = (await readEvents(scim.db, 0, 100_000))
      .filter((e) => e.userId === first.id)
      .map((e) => e.type);
    expect(types).toContain('user.reactivated');
  });

  test('groups: PUT keeps members when none are sent, replaces them when they are; nested groups; cycles refused', async () => {
    const a = await newUser('g-a');
    const b = await newUser('g-b');
    const parent = (await scim.post('/Groups', { displayName: 'parent', members: [{ value: a.id }] })).body;
    const child = (
      await scim.post('/Groups', { displayName: 'child', members: [{ value: b.id, type: 'User' }] })
    ).body;
    const renamed = await scim.put(`/Groups/${parent.id}`, { displayName: 'parent2' });
    expect(renamed.body.members.map((m: Json) => m.value)).toEqual([a.id]);
    const replaced = await scim.put(`/Groups/${parent.id}`, {
      displayName: 'parent2',
      members: [{ value: b.id }, { value: child.id, type: 'Group' }],
    });
    expect(replaced.body.members.map((m: Json) => [m.type, m.value])).toEqual([
      ['User', b.id],
      ['Group', child.id],
    ]);
    const cycle = await scim.patch(
      `/Groups/${child.id}`,
      patchOp({ op: 'add', path: 'members', value: [{ value: parent.id }] }),
    );
    expect([cycle.status, cycle.body.scimType]).toEqual([400, 'invalidValue']);
    const byType = await scim.patch(
      `/Groups/${parent.id}?attributes=members`,
      patchOp({ op: 'remove', path: 'members[type eq "Group"]' }),
    );
    expect(byType.status).toBe(200);
    expect(byType.body.members.map((m: Json) => m.value)).toEqual([b.id]);
    const cleared = await scim.patch(`/Groups/${parent.id}`, patchOp({ op: 'remove', path: 'members' }));
    expect(cleared.status).toBe(204);
    expect((await scim.get(`/Groups/${parent.id}`)).body.members).toEqual([]);
    const user = await scim.get(`/Users/${b.id}?attributes=groups`);
    expect(user.body.groups.map((g: Json) => g.display)).toEqual(['child']);
  });

  test('Bulk: bulkId references in any order, errors per operation, failOnErrors', async () => {
    const bulk = await scim.post('/Bulk', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
      Operations: [
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'g1',
          data: { displayName: 'bulk-group', members: [{ value: 'bulkId:u1', type: 'User' }] },
        },
        { method: 'POST', path: '/Users', bulkId: 'u1', data: { schemas: [USER], userName: 'bulk-one' } },
        {
          method: 'PATCH',
          path: '/Users/bulkId:u1',
          data: patchOp({ op: 'replace', path: 'title', value: 'Bulked' }),
        },
        { method: 'POST', path: '/Users', bulkId: 'dup', data: { userName: 'BULK-ONE' } },
        { method: 'POST', path: '/Users', bulkId: 'c1', data: { userName: 'c1', manager: 'bulkId:c2' } },
        { method: 'DELETE', path: '/Users/bulkId:never' },
      ],
    });
    expect(bulk.status).toBe(200);
    const ops = bulk.body.Operations as Json[];
    const byId = (id: string) => ops.find((o) => o.bulkId === id)!;
    expect(byId('u1')).toMatchObject({ method: 'POST', status: '201', version: 'W/"1"' });
    expect(byId('g1')).toMatchObject({ status: '201' });
    expect(byId('dup')).toMatchObject({ status: '409', response: { scimType: 'uniqueness' } });
    expect(byId('c1')).toMatchObject({ status: '409' });
    expect(ops.find((o) => o.method === 'PATCH')).toMatchObject({ status: '200' });
    expect(ops.find((o) => o.method === 'DELETE')).toMatchObject({ status: '409' });
    const uid = byId('u1').location.split('/').at(-1);
    const group = await scim.get(byId('g1').location.slice(byId('g1').location.indexOf('/Groups')));
    expect(group.body.members.map((m: Json) => m.value)).toEqual([uid]);
    expect((await scim.get(`/Users/${uid}`)).body.title).toBe('Bulked');

    const stop = await scim.post('/Bulk', {
      failOnErrors: 1,
      Operations: [
        { method: 'POST', path: '/Users', bulkId: 'x1', data: { userName: 'bad name' } },
        { method: 'POST', path: '/Users', bulkId: 'x2', data: { userName: 'never-made' } },
      ],
    });
    expect(stop.body.Operations).toHaveLength(1);
    expect(
      (await scim.get(`/Users?filter=${encodeURIComponent('userName eq "never-made"')}`)).body.totalResults,
    ).toBe(0);
    const tooMany = await scim.post('/Bulk', {
      Operations: Array.from({ length: 1001 }, (_, i) => ({ method: 'DELETE', path: `/Users/${i}` })),
    });
    expect([tooMany.status, tooMany.body.scimType]).toEqual([413, 'tooMany']);
    const malformed = await scim.post('/Bulk', { Operations: [{ method: 'GET', path: '/Users' }] });
    expect([malformed.status, malformed.body.scimType]).toEqual([400, 'invalidSyntax']);
  });

  test('a large group: adding 1,000 members to a group of 5,000 and removing by filter touch only those', async () => {
    const { created } = await scim.db.transaction((tx) =>
      createUsers(
        tx,
        { actor: 'test' },
        Array.from({ length: 6000 }, (_, i) => ({ userName: `big-${i}` })),
        { source: 'scim' },
      ),
    );
    const ids = created.map((u) => u.id);
    expect(ids).toHaveLength(6000);
    const posted = await scim.post('/Groups', {
      displayName: 'big',
      members: ids.slice(0, 5000).map((value) => ({ value })),
    });
    const group = posted.body;
    const add = await scim.patch(
      `/Groups/${group.id}`,
      patchOp({ op: 'add', path: 'members', value: ids.slice(5000).map((value) => ({ value })) }),
    );
    expect(add.status).toBe(204);
    const count = async () =>
      (
        await scim.db.query<{ n: number }>(
          'select count(*)::int as n from group_members where group_id = $1',
          [group.id],
        )
      ).rows[0]!.n;
    expect(await count()).toBe(6000);
    const events = (await readEvents(scim.db, 0, 1_000_000)).filter(
      (e) => e.groupId === group.id && e.type === 'membership.added',
    );
    expect(events).toHaveLength(6000);
    const remove = await scim.patch(
      `/Groups/${group.id}`,
      patchOp({ op: 'remove', path: `members[value eq "${ids[0]}" or value eq "${ids[5999]}"]` }),
    );
    expect(remove.status).toBe(204);
    expect(await count()).toBe(5998);
    const lean = await scim.get(`/Groups/${group.id}?excludedAttributes=members`);
    expect(lean.body).not.toHaveProperty('members');
    expect((await scim.get(`/Groups/${group.id}`)).body.members).toHaveLength(5998);
  }, 120_000);

  test("disable and deprovision over SCIM are the directory's own: events and audit with the token as actor", async () => {
    const user = await newUser('leaver@example.com');
    await scim.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
    await scim.del(`/Users/${user.id}`);
    const stored = await findUser(scim.db, user.id);
    expect(stored?.status).toBe('deprovisioned');
    const events = (await readEvents(scim.db, 0, 1_000_000)).filter((e) => e.userId === user.id);
    expect(events.map((e) => e.type)).toEqual(['user.created', 'user.disabled', 'user.deprovisioned']);
    const { rows } = await scim.db.query<{ actor: string; action: string }>(
      'select actor, action from audit_log where target = $1 order by seq',
      [`user:${user.id}`],
    );
    expect(rows.map((r) => r.action)).toEqual(['user.create', 'user.disable', 'user.deprovision']);
    expect(new Set(rows.map((r) => r.actor)).size).toBe(1);
    expect(rows[0]!.actor).toMatch(/^token:/);
  });
});

describe('SCIM rate limit', () => {
  let now = 0;
  const scim = useScim('pglite', { limiter: tokenBuckets({ rate: 1, burst: 2, now: () => now }) });
  test('a token over its budget gets 429 with Retry-After and SCIM error JSON; the bucket refills', async () => {
    expect((await scim.get('/ServiceProviderConfig')).status).toBe(200);
    expect((await scim.get('/ServiceProviderConfig')).status).toBe(200);
    const limited = await scim.get('/ServiceProviderConfig');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body).toMatchObject({ schemas: [ERROR], status: '429' });
    now += 1000;
    expect((await scim.get('/ServiceProviderConfig')).status).toBe(200);
  });
});
