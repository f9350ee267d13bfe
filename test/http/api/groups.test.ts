import { describe, expect, test } from 'vitest';
import { backends } from '../../support/backends.ts';
import { errorCode, useApi } from './support.ts';

interface Group {
  id: string;
  name: string;
  description: string | null;
  version: number;
}
interface Member {
  type: 'user' | 'group';
  id: string;
  name: string;
}

describe.each(backends)('admin API: groups and memberships on $name', (backend) => {
  const api = useApi(backend.name);
  const group = async (name: string) => (await api.post<Group>('/groups', { name })).body;
  const user = async (userName: string) => (await api.post<{ id: string }>('/users', { userName })).body;

  test('create, read, list, rename with If-Match, delete', async () => {
    const created = await api.post<Group>('/groups', { name: 'Platform', description: 'the platform team' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Platform',
      description: 'the platform team',
      source: 'builtin',
      version: 1,
    });
    expect(created.headers.get('etag')).toBe('W/"1"');
    const read = await api.get<Group>(`/groups/${created.body.id}`, { token: api.tokens['directory:read'] });
    expect(read.body).toEqual(created.body);
    expect(read.headers.get('etag')).toBe('W/"1"');

    const taken = await api.post('/groups', { name: 'platform' });
    expect(taken.status).toBe(409);
    expect(errorCode(taken)).toBe('directory.group_exists');

    const renamed = await api.patch<Group>(
      `/groups/${created.body.id}`,
      { name: 'Platform Engineering' },
      { headers: { 'if-match': 'W/"1"' } },
    );
    expect(renamed.body).toMatchObject({ name: 'Platform Engineering', version: 2 });
    expect(renamed.headers.get('etag')).toBe('W/"2"');
    const stale = await api.patch(
      `/groups/${created.body.id}`,
      { name: 'x' },
      { headers: { 'if-match': 'W/"1"' } },
    );
    expect(stale.status).toBe(412);
    expect(errorCode(stale)).toBe('directory.version_mismatch');
    const malformed = await api.patch(
      `/groups/${created.body.id}`,
      { name: 'x' },
      { headers: { 'if-match': 'v1' } },
    );
    expect(errorCode(malformed)).toBe('request.invalid_if_match');

    await group('Another');
    const list = await api.get<{ groups: Group[]; nextCursor: string | null }>('/groups?limit=1');
    expect(list.body.groups).toHaveLength(1);
    expect(list.body.groups[0]!.name).toBe('Another');
    const next = await api.get<{ groups: Group[]; nextCursor: string | null }>(
      `/groups?limit=1&cursor=${list.body.nextCursor}`,
    );
    expect(next.body.groups[0]!.name).toBe('Platform Engineering');
    const search = await api.get<{ groups: Group[] }>('/groups?search=plat&source=builtin');
    expect(search.body.groups.map((g) => g.name)).toEqual(['Platform Engineering']);

    const deleted = await api.del(`/groups/${created.body.id}`);
    expect(deleted.status).toBe(204);
    const gone = await api.get(`/groups/${created.body.id}`);
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe('directory.group_not_found');
    expect(errorCode(await api.del(`/groups/${created.body.id}`))).toBe('directory.group_not_found');
  });

  test('members: idempotent PUT and DELETE of users and groups; paged listing', async () => {
    const team = await group('team');
    const sub = await group('sub-team');
    const people = [];
    for (let i = 0; i < 5; i++) people.push(await user(`member-${i}`));

    for (const person of people) {
      const added = await api.put<{ changed: boolean }>(`/groups/${team.id}/members/users/${person.id}`);
      expect(added.status).toBe(200);
      expect(added.body).toEqual({ changed: true });
    }
    expect((await api.put(`/groups/${team.id}/members/users/${people[0]!.id}`)).body).toEqual({
      changed: false,
    });
    expect((await api.put(`/groups/${team.id}/members/groups/${sub.id}`)).body).toEqual({ changed: true });
    expect((await api.put(`/groups/${team.id}/members/groups/${sub.id}`)).body).toEqual({ changed: false });

    const seen: Member[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { members: Member[]; nextCursor: string | null } } = await api.get(
        `/groups/${team.id}/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: api.tokens['directory:read'] },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.members);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(seen[0]).toMatchObject({ type: 'group', id: sub.id, name: 'sub-team' });
    expect(new Set(seen.map((m) => m.id)).size).toBe(6);

    expect((await api.del(`/groups/${team.id}/members/users/${people[1]!.id}`)).body).toEqual({
      changed: true,
    });
    expect((await api.del(`/groups/${team.id}/members/users/${people[1]!.id}`)).body).toEqual({
      changed: false,
    });
    expect((await api.del(`/groups/${team.id}/members/groups/${sub.id}`)).body).toEqual({ changed: true });
    const after = await api.get<{ members: Member[] }>(`/groups/${team.id}/members`);
    expect(after.body.members.map((m) => m.name).sort()).toEqual([
      'member-0',
      'member-2',
      'member-3',
      'member-4',
    ]);

    const audit = await api.get<{ entries: { action: string }[] }>(
      `/audit?target=group:${team.id}&action=membership.*`,
    );
    expect(audit.body.entries.map((e) => e.action)).toEqual([
      'membership.remove',
      'membership.remove',
      'membership.add',
      ...Array(5).fill('membership.add'),
    ]);
  });

  test('nesting cycles are 409 at any depth; unknown ids are 404; deprovisioned users cannot join', async () => {
    const [a, b, c] = [await group('cycle-a'), await group('cycle-b'), await group('cycle-c')];
    await api.put(`/groups/${a.id}/members/groups/${b.id}`);
    await api.put(`/groups/${b.id}/members/groups/${c.id}`);
    for (const [parent, child] of [
      [c, a],
      [b, a],
      [a, a],
    ] as const) {
      const answer = await api.put(`/groups/${parent.id}/members/groups/${child.id}`);
      expect(answer.status).toBe(409);
      expect(errorCode(answer)).toBe('directory.membership_cycle');
    }

    const nobody = '00000000-0000-4000-8000-000000000000';
    const cases: [string, string, string][] = [
      ['PUT', `/groups/${nobody}/members/users/${nobody}`, 'directory.group_not_found'],
      ['PUT', `/groups/${a.id}/members/users/${nobody}`, 'directory.user_not_found'],
      ['PUT', `/groups/${a.id}/members/groups/${nobody}`, 'directory.group_not_found'],
      ['PUT', `/groups/${a.id}/members/users/not-a-uuid`, 'directory.user_not_found'],
      ['PUT', `/groups/not-a-uuid/members/groups/${a.id}`, 'directory.group_not_found'],
      ['DELETE', `/groups/${nobody}/members/users/${nobody}`, 'directory.group_not_found'],
      ['GET', `/groups/${nobody}/members`, 'directory.group_not_found'],
      ['GET', '/groups/not-a-uuid', 'directory.group_not_found'],
      ['PATCH', `/groups/${nobody}`, 'directory.group_not_found'],
      ['DELETE', `/groups/${nobody}`, 'directory.group_not_found'],
    ];
    for (const [method, path, code] of cases) {
      const answer = await api.call(method, path, {
        token: api.tokens.admin,
        body: method === 'PATCH' ? { name: 'x' } : undefined,
      });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(errorCode(answer), `${method} ${path}`).toBe(code);
    }

    const leaver = await user('leaver');
    await api.post(`/users/${leaver.id}/deprovision`);
    const join = await api.put(`/groups/${a.id}/members/users/${leaver.id}`);
    expect(join.status).toBe(409);
    expect(errorCode(join)).toBe('directory.user_deprovisioned');
  });

  test('bad group input is 400 with a stable code', async () => {
    const cases: [string, string, unknown][] = [
      ['POST', '/groups', { name: 'a/b' }],
      ['POST', '/groups', { name: '' }],
      ['POST', '/groups', { name: 'x'.repeat(257) }],
      ['POST', '/groups', { name: 'x', description: 'd'.repeat(1025) }],
      ['POST', '/groups', { name: 'x', members: [] }],
      ['POST', '/groups', '{"name": "x",}'],
      ['GET', '/groups?limit=-1', undefined],
      ['GET', '/groups?status=active', undefined],
    ];
    const g = await group('bad-input');
    cases.push(
      ['PATCH', `/groups/${g.id}`, { externalId: 'x' }],
      ['GET', `/groups/${g.id}/members?cursor=abc`, undefined],
    );
    for (const [method, path, body] of cases) {
      const answer = await api.call(method, path, { token: api.tokens.admin, body });
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(errorCode(answer)).toMatch(/^request\.(invalid|malformed_json|invalid_cursor)$/);
    }
  });
});
