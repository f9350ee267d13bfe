import { describe, expect, test } from 'vitest';
import { verifyAudit } from '../../../src/audit/audit.ts';
import { backends } from '../../support/backends.ts';
import { errorCode, useApi } from './support.ts';

interface Entry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}
interface AuditPage {
  entries: Entry[];
  nextBefore: number | null;
}
interface Token {
  id: string;
  name: string;
  scopes: string[];
  createdBy: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  token?: string;
}

describe.each(backends)('admin API: audit log and tokens on $name', (backend) => {
  const api = useApi(backend.name);

  test('audit: newest first, filters, backwards paging without gaps or repeats', async () => {
    const start = new Date().toISOString();
    const writer = api.tokens['directory:write'];
    for (let i = 0; i < 7; i++) {
      await api.call('POST', '/groups', { token: writer, body: { name: `audited-${i}` } });
    }
    const reader = api.tokens['audit:read'];
    const all = await api.call<AuditPage>('GET', `/audit?since=${start}`, { token: reader });
    expect(all.status).toBe(200);
    expect(all.body.entries.map((e) => e.details['name'])).toEqual(
      Array.from({ length: 7 }, (_, i) => `audited-${6 - i}`),
    );
    const seqs = all.body.entries.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(all.body.nextBefore).toBeNull();

    const walked: number[] = [];
    let before: number | null = null;
    do {
      const page: { body: AuditPage } = await api.call<AuditPage>(
        'GET',
        `/audit?action=group.create&since=${start}&limit=3${before ? `&before=${before}` : ''}`,
        { token: reader },
      );
      walked.push(...page.body.entries.map((e) => e.seq));
      before = page.body.nextBefore;
    } while (before);
    expect(walked).toEqual(seqs);

    const prefix = await api.call<AuditPage>('GET', `/audit?action=group.*&since=${start}`, {
      token: reader,
    });
    expect(prefix.body.entries).toHaveLength(7);
    const byActor = await api.call<AuditPage>('GET', `/audit?actor=${all.body.entries[0]!.actor}&limit=200`, {
      token: reader,
    });
    expect(byActor.body.entries.every((e) => e.actor === all.body.entries[0]!.actor)).toBe(true);
    expect(all.body.entries[0]!.actor).toMatch(/^token:[0-9a-f-]{36}$/);
    const none = await api.call<AuditPage>('GET', `/audit?action=user.*&since=${start}&outcome=success`, {
      token: reader,
    });
    expect(none.body.entries).toEqual([]);
    const until = await api.call<AuditPage>('GET', `/audit?until=${start}&action=group.create`, {
      token: reader,
    });
    expect(until.body.entries).toEqual([]);

    for (const query of [
      'action=user.%25',
      'action=',
      'outcome=maybe',
      'since=yesterday',
      'until=2024-13-01T00:00:00Z',
      'before=0',
      'before=1e400',
      'limit=500',
      'seq=1',
    ]) {
      const answer = await api.call('GET', `/audit?${query}`, { token: reader });
      expect(answer.status, query).toBe(400);
      expect(errorCode(answer)).toBe('request.invalid');
    }
  });

  test('tokens: create (secret once), list (never the secret), use, revoke; all audited', async () => {
    const created = await api.post<Token>('/tokens', {
      name: 'deploy',
      scopes: ['directory:read'],
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^ght_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: 'deploy', scopes: ['directory:read'], revokedAt: null });
    expect(created.body.createdBy).toMatch(/^token:/);
    const secret = created.body.token!;

    expect((await api.call('GET', '/users', { token: secret })).status).toBe(200);
    expect((await api.call('GET', '/tokens', { token: secret })).status).toBe(403);

    const list = await api.get<{ tokens: Token[] }>('/tokens');
    expect(list.status).toBe(200);
    const listed = list.body.tokens.find((t) => t.id === created.body.id)!;
    expect(listed.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain('ght_');
    expect(list.body.tokens[0]!.id).toBe(created.body.id); // newest first

    const revoked = await api.del(`/tokens/${created.body.id}`);
    expect(revoked.status).toBe(204);
    expect((await api.call('GET', '/users', { token: secret })).status).toBe(401);
    expect((await api.del(`/tokens/${created.body.id}`)).status).toBe(204); // idempotent
    const afterList = await api.get<{ tokens: Token[] }>('/tokens');
    expect(afterList.body.tokens.find((t) => t.id === created.body.id)!.revokedAt).not.toBeNull();

    const audit = await api.get<AuditPage>(`/audit?target=token:${created.body.id}`);
    expect(audit.body.entries.map((e) => e.action)).toEqual(['token.revoke', 'token.create']);
    expect(JSON.stringify(audit.body)).not.toContain(secret);
    expect(await verifyAudit(api.server.runtime.db)).toMatchObject({ ok: true });

    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/tokens', { name: 'x', scopes: ['root'] }, 400, 'request.invalid'],
      ['POST', '/tokens', { name: 'x', scopes: [] }, 400, 'request.invalid'],
      ['POST', '/tokens', { name: '', scopes: ['admin'] }, 400, 'request.invalid'],
      ['POST', '/tokens', { name: 'x'.repeat(129), scopes: ['admin'] }, 400, 'request.invalid'],
      [
        'POST',
        '/tokens',
        { name: 'x', scopes: ['admin'], expiresAt: '2001-01-01T00:00:00Z' },
        400,
        'request.invalid',
      ],
      ['POST', '/tokens', { name: 'x', scopes: ['admin'], expiresAt: 'tomorrow' }, 400, 'request.invalid'],
      ['POST', '/tokens', { name: 'x', scopes: ['admin'], token: 'ght_mine' }, 400, 'request.invalid'],
      ['DELETE', '/tokens/00000000-0000-4000-8000-000000000000', undefined, 404, 'tokens.not_found'],
      ['DELETE', '/tokens/not-a-uuid', undefined, 404, 'tokens.not_found'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await api.call(method, path, { token: api.tokens.admin, body });
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(errorCode(answer)).toBe(code);
    }
  });
});
