import { describe, expect, test } from 'vitest';
import {
  createApplication,
  deleteApplication,
  findApplicationByClientId,
  findSamlApplication,
  updateApplication,
} from '../../src/apps/apps.ts';
import {
  assignApplication,
  canUseApplication,
  listAssignments,
  listUserApplications,
  unassignApplication,
} from '../../src/apps/assignments.ts';
import { samlAttributes } from '../../src/apps/attributes.ts';
import { nameIdFor, persistentNameId } from '../../src/apps/name-id.ts';
import { samlSettingsSchema } from '../../src/apps/saml-settings.ts';
import { createGroup } from '../../src/directory/groups.ts';
import { addMember } from '../../src/directory/members.ts';
import { createUser, disableUser } from '../../src/directory/users.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { codeOf } from '../support/errors.ts';

const ctx = { actor: 'test' };
const saml = (entityId: string) => ({ entityId, acs: [{ url: `${entityId}/acs` }] });

describe.each(backends)('application catalog on $name', (backend) => {
  const store = useDb(backend);
  const tx = <T>(fn: (q: Parameters<Parameters<typeof store.db.transaction>[0]>[0]) => Promise<T>) =>
    store.db.transaction(fn);

  test('create, find by client id and entity id, update, delete; every change audited', async () => {
    const grafana = await tx((q) =>
      createApplication(q, ctx, { name: 'Grafana', type: 'oidc', oidcClientId: 'grafana' }),
    );
    const sf = await tx((q) =>
      createApplication(q, ctx, {
        name: 'Salesforce',
        type: 'saml',
        saml: { ...saml('https://sf.test'), template: 'salesforce' },
      }),
    );
    expect((await findApplicationByClientId(store.db, 'grafana'))?.id).toBe(grafana.id);
    expect((await findSamlApplication(store.db, 'https://sf.test'))?.id).toBe(sf.id);
    expect(
      await codeOf(
        tx((q) => createApplication(q, ctx, { name: 'grafana', type: 'oidc', oidcClientId: 'other' })),
      ),
    ).toBe('apps.exists');
    expect(
      await codeOf(
        tx((q) => createApplication(q, ctx, { name: 'Other', type: 'oidc', oidcClientId: 'grafana' })),
      ),
    ).toBe('apps.client_taken');
    expect(
      await codeOf(
        tx((q) => createApplication(q, ctx, { name: 'SF2', type: 'saml', saml: saml('https://sf.test') })),
      ),
    ).toBe('apps.entity_taken');
    expect(await codeOf(tx((q) => createApplication(q, ctx, { name: 'Bad', type: 'saml' })))).toBe(
      'apps.invalid',
    );
    expect(
      await codeOf(
        tx((q) =>
          createApplication(q, ctx, {
            name: 'Sha1',
            type: 'saml',
            saml: { ...saml('https://sha1.test'), signatureAlgorithm: 'rsa-sha1' },
          }),
        ),
      ),
    ).toBe('apps.invalid');
    const renamed = await tx((q) =>
      updateApplication(q, ctx, sf.id, { label: 'Sales', logoUrl: 'https://sf.test/logo.png' }),
    );
    expect(renamed).toMatchObject({ label: 'Sales', version: 2 });
    expect(await codeOf(tx((q) => updateApplication(q, ctx, sf.id, { name: 'X' }, { ifVersion: 1 })))).toBe(
      'apps.version_mismatch',
    );
    await tx((q) => deleteApplication(q, ctx, grafana.id));
    expect(await findApplicationByClientId(store.db, 'grafana')).toBeUndefined();
    const { rows } = await store.db.query<{ action: string }>(
      "select action from audit_log where action like 'application.%' order by seq",
    );
    expect(rows.map((r) => r.action)).toEqual([
      'application.create',
      'application.create',
      'application.update',
      'application.delete',
    ]);
  });

  test('assignment to a user, or to a group reached through nesting; disabled users use nothing', async () => {
    const [ann, ben] = await tx(async (q) => [
      await createUser(q, ctx, { userName: 'ann', emails: ['ann@example.com'] }),
      await createUser(q, ctx, { userName: 'ben' }),
    ]);
    const app = await tx((q) =>
      createApplication(q, ctx, { name: 'Wiki', type: 'saml', saml: saml('https://wiki.test') }),
    );
    expect(await canUseApplication(store.db, app.id, ann.id)).toBe(false);
    const [outer, inner] = await tx(async (q) => [
      await createGroup(q, ctx, { name: 'outer' }),
      await createGroup(q, ctx, { name: 'inner' }),
    ]);
    await tx(async (q) => {
      await addMember(q, ctx, outer.id, { groupId: inner.id });
      await addMember(q, ctx, inner.id, { userId: ann.id });
      await assignApplication(q, ctx, app.id, { groupId: outer.id });
      await assignApplication(q, ctx, app.id, { userId: ben.id });
    });
    expect(await canUseApplication(store.db, app.id, ann.id)).toBe(true);
    expect((await listUserApplications(store.db, ann.id)).map((a) => a.name)).toEqual(['Wiki']);
    expect((await listAssignments(store.db, app.id)).map((a) => `${a.type}:${a.name}`)).toEqual([
      'group:outer',
      'user:ben',
    ]);
    await tx((q) => disableUser(q, ctx, ben.id));
    expect(await canUseApplication(store.db, app.id, ben.id)).toBe(false);
    expect(await tx((q) => unassignApplication(q, ctx, app.id, { groupId: outer.id }))).toBe(true);
    expect(await canUseApplication(store.db, app.id, ann.id)).toBe(false);
  });
});

describe('NameID and attributes', () => {
  const user = {
    id: '00000000-0000-4000-8000-000000000001',
    userName: 'zoe',
    displayName: 'Zoe Z',
    givenName: 'Zoe',
    familyName: 'Zed',
    emails: [{ value: 'zoe@example.com' }],
    attributes: { team: 'blue' },
  } as unknown as Parameters<typeof samlAttributes>[1]['user'];
  const key = Buffer.alloc(32, 7);

  test('persistent NameID: stable per application, different between applications, opaque', () => {
    const settings = samlSettingsSchema.parse({ ...saml('https://p.test'), nameIdFormat: 'persistent' });
    const a = nameIdFor(settings, 'app-a', user, key);
    expect(a.value).toBe(nameIdFor(settings, 'app-a', user, key).value);
    expect(a.value).not.toBe(nameIdFor(settings, 'app-b', user, key).value);
    expect(a.value).toBe(persistentNameId(key, 'app-a', user.id));
    expect(a.value).not.toContain('zoe');
    expect(
      nameIdFor(
        samlSettingsSchema.parse({ ...saml('https://t.test'), nameIdFormat: 'transient' }),
        'x',
        user,
        key,
      ).value,
    ).not.toBe(
      nameIdFor(
        samlSettingsSchema.parse({ ...saml('https://t.test'), nameIdFormat: 'transient' }),
        'x',
        user,
        key,
      ).value,
    );
  });

  test('mapping: user fields, groups, static values; template presets underneath', async () => {
    const settings = samlSettingsSchema.parse({
      ...saml('https://m.test'),
      template: 'slack',
      attributes: {
        team: 'attributes.team',
        groups: 'groups',
        tier: { value: ['gold', 'x'] },
        first_name: 'displayName',
      },
    });
    const out = await samlAttributes(
      { id: 'x', saml: settings },
      { user, groups: ['a', 'b'] },
      async () => [],
    );
    expect(out).toEqual({
      'User.Email': ['zoe@example.com'],
      'User.Username': ['zoe'],
      first_name: ['Zoe Z'],
      last_name: ['Zed'],
      team: ['blue'],
      groups: ['a', 'b'],
      tier: ['gold', 'x'],
    });
  });

  test('AWS account federation: one Role per assignment, RoleSessionName, SessionDuration', async () => {
    const settings = samlSettingsSchema.parse({
      entityId: 'urn:amazon:webservices',
      acs: [{ url: 'https://signin.aws.amazon.com/saml' }],
      template: 'aws',
      aws: { samlProvider: 'Gatehouse', sessionDuration: 7200 },
    });
    const out = await samlAttributes({ id: 'aws', saml: settings }, { user, groups: [] }, async () => [
      { accountId: '111122223333', permissionSet: 'Developer' },
      { accountId: '444455556666', permissionSet: 'ReadOnly' },
    ]);
    expect(out).toEqual({
      'https://aws.amazon.com/SAML/Attributes/Role': [
        'arn:aws:iam::111122223333:role/Developer,arn:aws:iam::111122223333:saml-provider/Gatehouse',
        'arn:aws:iam::444455556666:role/ReadOnly,arn:aws:iam::444455556666:saml-provider/Gatehouse',
      ],
      'https://aws.amazon.com/SAML/Attributes/RoleSessionName': ['zoe'],
      'https://aws.amazon.com/SAML/Attributes/SessionDuration': ['7200'],
    });
    expect(nameIdFor(settings, 'aws', user, key).format).toBe(
      'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    );
  });
});
