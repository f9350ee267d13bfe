import { describe, expect, test } from 'vitest';
import { errorCode, useApi } from './support.ts';

interface App {
  id: string;
  name: string;
  type: string;
  label: string | null;
  saml: Record<string, unknown> | null;
  version: number;
}

describe('admin API: applications and their assignments', () => {
  const api = useApi('pglite');

  test('create a SAML and an OIDC application, read, change with If-Match, assign, delete', async () => {
    const created = await api.post<App>('/applications', {
      name: 'Slack',
      type: 'saml',
      saml: {
        entityId: 'https://slack.com',
        acs: [{ url: 'https://acme.slack.com/sso/saml' }],
        backchannelLogoutUrl: 'https://acme.slack.com/sso/saml/soap',
        template: 'slack',
      },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.body.saml).toMatchObject({
      entityId: 'https://slack.com',
      template: 'slack',
      signResponse: true,
      backchannelLogoutUrl: 'https://acme.slack.com/sso/saml/soap',
    });
    const oidc = await api.post<App>('/applications', {
      name: 'Grafana',
      type: 'oidc',
      oidcClientId: 'grafana',
    });
    expect(oidc.status).toBe(201);

    const invalid = await api.post('/applications', {
      name: 'Broken',
      type: 'saml',
      saml: { entityId: 'x', acs: [] },
    });
    expect(invalid.status).toBe(400);
    const badUrl = await api.post('/applications', {
      name: 'Bad logout',
      type: 'saml',
      saml: { entityId: 'y', acs: [{ url: 'https://y.test/acs' }], backchannelLogoutUrl: 'javascript:x' },
    });
    expect(badUrl.status).toBe(400);
    expect((await api.post('/applications', { name: 'slack', type: 'oidc', oidcClientId: 'x' })).status).toBe(
      409,
    );

    const list = await api.get<{ applications: App[] }>('/applications', {
      token: api.tokens['directory:read'],
    });
    expect(list.body.applications.map((a) => a.name)).toEqual(['Grafana', 'Slack']);

    const stale = await api.patch(
      `/applications/${created.body.id}`,
      { label: 'Chat' },
      { headers: { 'if-match': 'W/"9"' } },
    );
    expect(stale.status).toBe(412);
    const changed = await api.patch<App>(
      `/applications/${created.body.id}`,
      { label: 'Chat' },
      { headers: { 'if-match': 'W/"1"' } },
    );
    expect(changed.body).toMatchObject({ label: 'Chat', version: 2 });

    const user = await api.post<{ id: string }>('/users', { userName: 'una' });
    const assigned = await api.put<{ changed: boolean }>(
      `/applications/${created.body.id}/assignments/users/${user.body.id}`,
    );
    expect(assigned.body.changed).toBe(true);
    expect(
      (
        await api.put<{ changed: boolean }>(
          `/applications/${created.body.id}/assignments/users/${user.body.id}`,
        )
      ).body.changed,
    ).toBe(false);
    const assignments = await api.get<{ assignments: { type: string; name: string }[] }>(
      `/applications/${created.body.id}/assignments`,
    );
    expect(assignments.body.assignments).toMatchObject([{ type: 'user', name: 'una' }]);
    const missing = await api.put(
      `/applications/${created.body.id}/assignments/groups/${crypto.randomUUID()}`,
    );
    expect(missing.status).toBe(404);

    expect((await api.del(`/applications/${created.body.id}`)).status).toBe(204);
    const gone = await api.get(`/applications/${created.body.id}`);
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe('apps.not_found');
  });

  test('writes need directory:write', async () => {
    const answer = await api.call('POST', '/applications', {
      token: api.tokens['directory:read'],
      body: { name: 'X', type: 'oidc', oidcClientId: 'x' },
    });
    expect(answer.status).toBe(403);
  });
});
