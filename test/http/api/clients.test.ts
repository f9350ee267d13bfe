import { describe, expect, test } from 'vitest';
import { findClient, secretMatches } from '../../../src/clients/clients.ts';
import { backends } from '../../support/backends.ts';
import { errorCode, useApi } from './support.ts';

describe.each(backends)('admin API: OAuth clients on $name', (backend) => {
  const api = useApi(backend.name);

  test('create (secret shown once), read, change with If-Match, rotate the secret, delete', async () => {
    const created = await api.post<{ clientId: string; clientSecret: string; version: number }>('/clients', {
      clientId: 'grafana',
      name: 'Grafana',
      redirectUris: ['https://grafana.example.com/login/generic_oauth'],
      scopes: ['openid', 'profile', 'email', 'groups'],
    });
    expect(created.status).toBe(201);
    expect(created.body.clientSecret).toMatch(/^ghcs_/);
    const stored = await findClient(api.server.runtime.db, 'grafana');
    expect(stored?.secretHash).not.toContain(created.body.clientSecret);
    expect(secretMatches(stored!.secretHash, created.body.clientSecret)).toBe(true);

    const read = await api.get<Record<string, unknown>>('/clients/grafana');
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('clientSecret');
    expect(read.headers.get('etag')).toBe('W/"1"');

    const changed = await api.patch(
      '/clients/grafana',
      { firstParty: true },
      { headers: { 'if-match': 'W/"1"' } },
    );
    expect(changed.status).toBe(200);
    const stale = await api.patch('/clients/grafana', { name: 'G' }, { headers: { 'if-match': 'W/"1"' } });
    expect(stale.status).toBe(412);

    const rotated = await api.post<{ clientSecret: string }>('/clients/grafana/secret');
    expect(rotated.status).toBe(200);
    const after = await findClient(api.server.runtime.db, 'grafana');
    expect(secretMatches(after!.secretHash, created.body.clientSecret)).toBe(false);
    expect(secretMatches(after!.secretHash, rotated.body.clientSecret)).toBe(true);

    const list = await api.get<{ clients: { clientId: string }[] }>('/clients');
    expect(list.body.clients.map((c) => c.clientId)).toContain('grafana');
    expect(JSON.stringify(list.body)).not.toContain(rotated.body.clientSecret);

    expect((await api.del('/clients/grafana')).status).toBe(204);
    const gone = await api.get('/clients/grafana');
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe('clients.not_found');
  });

  test('refuses what cannot work: bad redirect URIs, a public client with client credentials, a taken id', async () => {
    const cases: [unknown, number, string][] = [
      [{ name: 'x', redirectUris: ['http://evil.example/cb'] }, 400, 'request.invalid'],
      [{ name: 'x', redirectUris: ['https://app.example/cb#frag'] }, 400, 'request.invalid'],
      [{ name: 'x', public: true, grantTypes: ['client_credentials'] }, 400, 'clients.invalid'],
      [{ name: 'x', grantTypes: ['authorization_code'] }, 400, 'clients.invalid'],
      [{ name: 'x', scopes: ['everything'] }, 400, 'request.invalid'],
    ];
    for (const [body, status, code] of cases) {
      const answer = await api.post('/clients', body);
      expect([answer.status, errorCode(answer)]).toEqual([status, code]);
    }
    const ok = {
      clientId: 'twice',
      name: 'x',
      grantTypes: ['client_credentials'],
      scopes: ['directory:read'],
    };
    expect((await api.post('/clients', ok)).status).toBe(201);
    const again = await api.post('/clients', ok);
    expect([again.status, errorCode(again)]).toEqual([409, 'clients.exists']);
  });

  test('managing clients needs the admin scope', async () => {
    const answer = await api.call('GET', '/clients', { token: api.tokens['directory:write'] });
    expect(answer.status).toBe(403);
  });
});
