import { describe, expect, test } from 'vitest';
import { readEvents } from '../../../src/directory/events.ts';
import { backends } from '../../support/backends.ts';
import { errorCode, useApi } from './support.ts';

interface User {
  id: string;
  userName: string;
  displayName: string | null;
  status: string;
  version: number;
  emails: { value: string }[];
  attributes: Record<string, string>;
  erasedAt: string | null;
}
interface Page {
  users: User[];
  nextCursor: string | null;
}

describe.each(backends)('admin API: users on $name', (backend) => {
  const api = useApi(backend.name);

  test('create, read, list; ETag on every user response', async () => {
    const created = await api.post<User>('/users', {
      userName: 'alice',
      displayName: 'Alice Anderson',
      emails: ['alice@example.com'],
      attributes: { team: 'blue' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      userName: 'alice',
      status: 'active',
      version: 1,
      emails: [{ value: 'alice@example.com' }],
      attributes: { team: 'blue' },
    });
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.headers.get('cache-control')).toBe('no-store');

    const read = await api.get<User>(`/users/${created.body.id}`, { token: api.tokens['directory:read'] });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(read.headers.get('etag')).toBe('W/"1"');

    const listed = await api.get<Page>('/users?search=ALI');
    expect(listed.body.users.map((u) => u.userName)).toEqual(['alice']);
    expect(listed.body.nextCursor).toBeNull();

    const taken = await api.post('/users', { userName: 'Alice' });
    expect(taken.status).toBe(409);
    expect(errorCode(taken)).toBe('directory.user_exists');
  });

  test('PATCH with If-Match: current version applies, stale is 412, malformed is 400, none is unconditional', async () => {
    const { body: bob } = await api.post<User>('/users', { userName: 'bob' });
    const changed = await api.patch<User>(
      `/users/${bob.id}`,
      { displayName: 'Bob B', attributes: { team: 'red' } },
      { headers: { 'if-match': 'W/"1"' } },
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ displayName: 'Bob B', attributes: { team: 'red' }, version: 2 });
    expect(changed.headers.get('etag')).toBe('W/"2"');

    const stale = await api.patch(
      `/users/${bob.id}`,
      { displayName: 'stale' },
      { headers: { 'if-match': 'W/"1"' } },
    );
    expect(stale.status).toBe(412);
    expect(errorCode(stale)).toBe('directory.version_mismatch');

    for (const header of ['1', 'W/1', '"1", "2"', 'W/"x"', '"99999999999"']) {
      const bad = await api.patch(
        `/users/${bob.id}`,
        { displayName: 'x' },
        { headers: { 'if-match': header } },
      );
      expect(bad.status, header).toBe(400);
      expect(errorCode(bad)).toBe('request.invalid_if_match');
    }
    expect(
      (await api.patch(`/users/${bob.id}`, { displayName: 'strong' }, { headers: { 'if-match': '"2"' } }))
        .status,
    ).toBe(200);
    const any = await api.patch<User>(
      `/users/${bob.id}`,
      { displayName: null },
      { headers: { 'if-match': '*' } },
    );
    expect(any.body).toMatchObject({ displayName: null, version: 4 });
    const unconditional = await api.patch<User>(`/users/${bob.id}`, { displayName: 'Robert' });
    expect(unconditional.body.version).toBe(5);
    // application/merge-patch+json is JSON too.
    const merge = await api.patch<User>(
      `/users/${bob.id}`,
      { givenName: 'Robert' },
      { headers: { 'content-type': 'application/merge-patch+json' } },
    );
    expect(merge.status).toBe(200);
  });

  test('revoke-access signs a user out everywhere and leaves them active', async () => {
    const { body: dan } = await api.post<User>('/users', { userName: 'dan' });
    const issuedAt = Date.now() - 1;
    const revocation = api.server.runtime.revocation;
    expect(revocation.check({ userId: dan.id, issuedAt })).toBeUndefined();
    const revoked = await api.post<User>(`/users/${dan.id}/revoke-access`, { reason: 'lost laptop' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('active');
    await revocation.reconcile();
    expect(revocation.check({ userId: dan.id, issuedAt })).toBe('user');
    const events = (await readEvents(api.server.runtime.db, 0, 10_000)).filter((e) => e.userId === dan.id);
    expect(events.map((e) => e.type)).toContain('user.revoked');
    const unknown = await api.post(`/users/${crypto.randomUUID()}/revoke-access`);
    expect(unknown.status).toBe(404);
    expect(
      (await api.post(`/users/${dan.id}/revoke-access`, undefined, { token: api.tokens['directory:read'] }))
        .status,
    ).toBe(403);
  });

  test('lifecycle: disable (with a reason), enable, deprovision, erase', async () => {
    const { body: carol } = await api.post<User>('/users', {
      userName: 'carol',
      emails: ['carol@example.com'],
    });
    const disabled = await api.post<User>(`/users/${carol.id}/disable`, { reason: 'left the team' });
    expect(disabled.status).toBe(200);
    expect(disabled.body.status).toBe('disabled');
    expect(disabled.headers.get('etag')).toBe(`W/"${disabled.body.version}"`);
    const again = await api.post<User>(`/users/${carol.id}/disable`);
    expect(again.body.version).toBe(disabled.body.version);
    expect((await api.post<User>(`/users/${carol.id}/enable`)).body.status).toBe('active');

    const erasedTooEarly = await api.post(`/users/${carol.id}/erase`);
    expect(erasedTooEarly.status).toBe(409);
    expect(errorCode(erasedTooEarly)).toBe('directory.user_not_deprovisioned');

    const gone = await api.post<User>(`/users/${carol.id}/deprovision`, { reason: 'contract ended' });
    expect(gone.body.status).toBe('deprovisioned');
    const revived = await api.post(`/users/${carol.id}/enable`);
    expect(revived.status).toBe(409);
    expect(errorCode(revived)).toBe('directory.user_deprovisioned');
    const patched = await api.patch(`/users/${carol.id}`, { displayName: 'x' });
    expect(errorCode(patched)).toBe('directory.user_deprovisioned');

    const erased = await api.post<User>(`/users/${carol.id}/erase`);
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ userName: `erased-${carol.id}`, emails: [], displayName: null });
    expect(erased.body.erasedAt).not.toBeNull();

    const audit = await api.get<{ entries: { action: string; details: Record<string, unknown> }[] }>(
      `/audit?target=user:${carol.id}`,
    );
    expect(audit.body.entries.map((e) => e.action)).toEqual([
      'user.erase',
      'user.deprovision',
      'user.enable',
      'user.disable',
      'user.create',
    ]);
    expect(audit.body.entries[3]!.details).toMatchObject({ reason: 'left the team' });
    const events = (await readEvents(api.server.runtime.db, 0, 10_000)).filter((e) => e.userId === carol.id);
    expect(events.map((e) => e.type)).toContain('user.deprovisioned');
  });

  test('the root administrator cannot be deprovisioned (403)', async () => {
    const { rows } = await api.server.runtime.db.query<{ id: string }>(
      "insert into users (user_name, is_root) values ('root', true) returning id",
    );
    const answer = await api.post(`/users/${rows[0]!.id}/deprovision`);
    expect(answer.status).toBe(403);
    expect(errorCode(answer)).toBe('directory.root_protected');
  });

  test('pagination walks every user once, in order, at any page size; filters combine', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    await api.server.runtime.db.transaction(async (tx) => {
      const { createUser } = await import('../../../src/directory/users.ts');
      for (const userName of names) await createUser(tx, { actor: 'test' }, { userName });
    });
    for (const limit of [1, 5, 200]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/users?search=page-&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await api.get<Page>(query, { token: api.tokens['directory:read'] });
        expect(page.status).toBe(200);
        expect(page.body.users.length).toBeLessThanOrEqual(limit);
        seen.push(...page.body.users.map((u) => u.userName));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor);
      expect(seen).toEqual(names);
      expect(pages).toBe(Math.ceil(names.length / limit)); // a full last page is not followed by an empty one
    }
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page } = await api.get<Page>(`/users?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.body.users.map((u) => u.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(all).size).toBe(all.length);

    const active = await api.get<Page>('/users?status=active&source=builtin&search=page-0&limit=200');
    expect(active.body.users).toHaveLength(10);
    const deprovisioned = await api.get<Page>('/users?status=deprovisioned&search=page-');
    expect(deprovisioned.body.users).toEqual([]);
  });

  test('bad input is a 4xx with a stable code, never a 5xx', async () => {
    const cases: [string, string, unknown, Record<string, string>, number, string][] = [
      ['POST', '/users', '{"userName":', {}, 400, 'request.malformed_json'],
      ['POST', '/users', '', {}, 400, 'request.malformed_json'],
      [
        'POST',
        '/users',
        'userName=x',
        { 'content-type': 'application/x-www-form-urlencoded' },
        400,
        'request.content_type',
      ],
      ['POST', '/users', { userName: 'x', colour: 'red' }, {}, 400, 'request.invalid'],
      ['POST', '/users', { userName: 'x'.repeat(257) }, {}, 400, 'request.invalid'],
      ['POST', '/users', { userName: 'x', displayName: 'y'.repeat(300) }, {}, 400, 'request.invalid'],
      ['POST', '/users', { userName: 'x', attributes: { k: 'v'.repeat(300) } }, {}, 400, 'request.invalid'],
      ['POST', '/users', { userName: 'nul\u0000' }, {}, 400, 'request.invalid'],
      ['POST', '/users', [], {}, 400, 'request.invalid'],
      ['POST', '/users', 'null', {}, 400, 'request.invalid'],
      ['POST', '/users', '"alice"', {}, 400, 'request.invalid'],
      ['POST', '/users', { userName: 'x', emails: 'x@example.com' }, {}, 400, 'request.invalid'],
      ['POST', '/users', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, {}, 400, 'request.invalid'],
      [
        'POST',
        '/users',
        `{"userName":"x","attributes":{"k":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`,
        {},
        400,
        'request.invalid',
      ],
      ['POST', '/users', '{"userName":"x","__proto__":{"isRoot":true}}', {}, 400, 'request.invalid'],
      [
        'POST',
        '/users',
        '{"userName":"x","constructor":{"prototype":{"isRoot":true}}}',
        {},
        400,
        'request.invalid',
      ],
      [
        'POST',
        '/users',
        JSON.stringify({ userName: 'big', displayName: 'x'.repeat(2_000_000) }),
        {},
        413,
        'request.too_large',
      ],
      [
        'PATCH',
        '/users/00000000-0000-4000-8000-000000000000',
        { displayName: 'x' },
        {},
        404,
        'directory.user_not_found',
      ],
      ['PATCH', `/users/${'9'.repeat(36)}`, { status: 'active' }, {}, 400, 'request.invalid'],
      ['GET', '/users/not-a-uuid', undefined, {}, 404, 'directory.user_not_found'],
      ['GET', '/users/%E0%A4%A', undefined, {}, 404, 'directory.user_not_found'],
      ['GET', "/users/1'%20or%201=1", undefined, {}, 404, 'directory.user_not_found'],
      [
        'GET',
        '/users/00000000-0000-4000-8000-000000000000/groups',
        undefined,
        {},
        404,
        'directory.user_not_found',
      ],
      ['POST', '/users/not-a-uuid/disable', undefined, {}, 404, 'directory.user_not_found'],
      [
        'POST',
        '/users/00000000-0000-4000-8000-000000000000/disable',
        { reason: 'r'.repeat(600) },
        {},
        400,
        'request.invalid',
      ],
      [
        'POST',
        '/users/00000000-0000-4000-8000-000000000000/disable',
        { why: 'x' },
        {},
        400,
        'request.invalid',
      ],
      ['GET', '/users?limit=0', undefined, {}, 400, 'request.invalid'],
      ['GET', '/users?limit=201', undefined, {}, 400, 'request.invalid'],
      ['GET', '/users?limit=ten', undefined, {}, 400, 'request.invalid'],
      ['GET', '/users?limit=1&limit=2', undefined, {}, 400, 'request.invalid'],
      ['GET', '/users?status=gone', undefined, {}, 400, 'request.invalid'],
      ['GET', '/users?group=not-a-uuid', undefined, {}, 400, 'request.invalid'],
      ['GET', '/users?source=elsewhere', undefined, {}, 400, 'request.invalid'],
      ['GET', '/users?sort=name', undefined, {}, 400, 'request.invalid'],
      ['GET', `/users?search=${'s'.repeat(300)}`, undefined, {}, 400, 'request.invalid'],
      ['GET', '/users?cursor=garbage', undefined, {}, 400, 'request.invalid_cursor'],
      [
        'GET',
        `/users?cursor=${Buffer.from('{"name":"a","id":"x"}').toString('base64url')}`,
        undefined,
        {},
        400,
        'request.invalid_cursor',
      ],
    ];
    for (const [method, path, body, headers, status, code] of cases) {
      const answer = await api.call(method, path, { token: api.tokens.admin, body, headers });
      const what = `${method} ${path} ${typeof body === 'string' ? body.slice(0, 40) : JSON.stringify(body)?.slice(0, 40)}`;
      expect(answer.status, what).toBe(status);
      expect(errorCode(answer), what).toBe(code);
    }
    const unknown = await api.post<{ error: { message: string; details: { problems: { path: string }[] } } }>(
      '/users',
      { userName: 'x', colour: 'red', shape: 'round' },
    );
    expect(unknown.body.error.message).toContain('unknown field(s) colour, shape');
    const invalid = await api.post<{ error: { details: { problems: { path: string }[] } } }>('/users', {
      userName: 'bad name',
      emails: ['nope'],
    });
    expect(invalid.body.error.details.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['userName', 'emails.0.value']),
    );
    const query = await api.get<{ error: { details: { problems: { path: string }[] } } }>(
      '/users?limit=0&x=1',
    );
    expect(query.body.error.details.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['query.limit', 'query']),
    );
  });

  test('effective groups of a user, with depth', async () => {
    const { body: dave } = await api.post<User>('/users', { userName: 'dave' });
    const { body: inner } = await api.post<{ id: string }>('/groups', { name: 'inner' });
    const { body: outer } = await api.post<{ id: string }>('/groups', { name: 'outer' });
    await api.put(`/groups/${inner.id}/members/users/${dave.id}`);
    await api.put(`/groups/${outer.id}/members/groups/${inner.id}`);
    const groups = await api.get<{ groups: { name: string; depth: number }[] }>(`/users/${dave.id}/groups`);
    expect(groups.body.groups.map((g) => [g.name, g.depth])).toEqual([
      ['inner', 1],
      ['outer', 2],
    ]);
    const members = await api.get<Page>(`/users?group=${outer.id}`);
    expect(members.body.users.map((u) => u.userName)).toEqual(['dave']);
  });
});

describe.each(backends)('admin API: password reset on $name', (backend) => {
  const api = useApi(backend.name);

  test('a temporary password must be changed; without one a one-time link comes back; policy and sources apply', async () => {
    const { verifyPassword } = await import('../../../src/auth/verify-password.ts');
    const created = await api.post<User>('/users', { userName: 'reset-me', displayName: 'Reset Me' });
    const id = created.body.id;
    const policy = api.server.runtime.config.passwordPolicy;

    const weak = await api.post(`/users/${id}/reset-password`, { temporaryPassword: 'short' });
    expect(weak.status).toBe(400);
    expect(errorCode(weak)).toBe('auth.password_policy');

    const temporary = await api.post<{ setupLink: string | null }>(`/users/${id}/reset-password`, {
      temporaryPassword: 'Temporary-Gate-77',
    });
    expect(temporary.status).toBe(200);
    expect(temporary.body.setupLink).toBeNull();
    const signIn = await verifyPassword(
      api.server.runtime.db,
      'reset-me',
      'Temporary-Gate-77',
      { actor: 'anonymous' },
      { policy },
    );
    expect(signIn).toMatchObject({ outcome: 'must_change', reason: 'reset' });

    const linked = await api.post<{ setupLink: string; expiresAt: string }>(`/users/${id}/reset-password`);
    expect(linked.status).toBe(200);
    expect(linked.body.setupLink).toMatch(/\/setup\?token=[\w-]{43}$/);
    expect(new Date(linked.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const token = new URL(linked.body.setupLink).searchParams.get('token')!;
    expect(api.server.logs.text()).not.toContain(token);
    const after = await verifyPassword(
      api.server.runtime.db,
      'reset-me',
      'Temporary-Gate-77',
      { actor: 'anonymous' },
      { policy },
    );
    expect(after.outcome).toBe('bad_credentials');

    const readOnly = await api.call('POST', `/users/${id}/reset-password`, {
      token: api.tokens['directory:read'],
    });
    expect(readOnly.status).toBe(403);
    expect((await api.post(`/users/${crypto.randomUUID()}/reset-password`)).status).toBe(404);
  });
});
