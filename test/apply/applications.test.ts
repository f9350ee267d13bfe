import { generateServiceProviderMetadata } from '@node-saml/node-saml';
import { describe, expect, test } from 'vitest';
import { findApplicationByName } from '../../src/apps/apps.ts';
import { canUseApplication } from '../../src/apps/assignments.ts';
import { findUserByName } from '../../src/directory/users.ts';
import { spKeys } from '../saml/support.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { apply, problems, stateDir, withoutLines } from './support.ts';

const keys = spKeys('https://sf.test');
const metadata = generateServiceProviderMetadata({
  issuer: 'https://sf.test',
  callbackUrl: 'https://sf.test/acs',
  logoutCallbackUrl: 'https://sf.test/slo',
  publicCerts: keys.certificatePem,
  privateKey: keys.privateKeyPem,
});

const state = (attributes = '{ email: email, groups: groups }') => `
users:
  - { userName: alice, emails: [alice@example.com] }
groups:
  - { name: platform, members: [user:alice] }
applications:
  - name: Salesforce
    type: saml
    saml: { metadataFile: ./salesforce-sp.xml, nameIdFormat: emailAddress, attributes: ${attributes} }
    assignments: [group:platform]
  - name: Grafana
    type: oidc
    oidc: { clientId: grafana, clientSecretFile: ./grafana.secret, redirectUris: [https://grafana.example.com/login/generic_oauth] }
    assignments: [user:alice]
`;

describe.each(backends)('apply: applications on $name', (backend) => {
  const ctx = useDb(backend);

  test('SAML from SP metadata and OIDC apps with assignments; idempotent; edits and removals', async () => {
    const baseDir = stateDir({ 'salesforce-sp.xml': metadata });
    const first = await apply(ctx.db, state(), { baseDir });
    expect(first.lines).toEqual(
      expect.arrayContaining([
        '+ application Salesforce',
        '+ application Grafana',
        '+ assignment application:Salesforce ← group:platform',
        '+ assignment application:Grafana ← user:alice',
      ]),
    );
    const sf = (await findApplicationByName(ctx.db, 'salesforce'))!;
    expect(sf.saml).toMatchObject({
      entityId: 'https://sf.test',
      acs: [{ url: 'https://sf.test/acs' }],
      slo: { url: 'https://sf.test/slo' },
      requireSignedRequests: true,
      signingCertificates: [keys.certificate],
      attributes: { email: 'email', groups: 'groups' },
    });
    const alice = (await findUserByName(ctx.db, 'alice'))!;
    expect(await canUseApplication(ctx.db, sf.id, alice.id)).toBe(true);

    expect((await apply(ctx.db, state(), { baseDir })).summary).toMatch(/^0 changes/);

    const edited = await apply(
      ctx.db,
      state('{ email: email }').replace('assignments: [user:alice]', 'assignments: []'),
      { baseDir },
    );
    expect(edited.lines).toEqual([
      '~ application Salesforce: saml',
      '- assignment application:Grafana ← user:alice',
    ]);

    const pruned = await apply(ctx.db, state().replace(/ {2}- name: Grafana[\s\S]*$/, ''), {
      baseDir,
      prune: true,
    });
    expect(pruned.lines).toContain('- application Grafana (delete)');
  });

  test('problems: missing metadata file, invalid settings, unknown principal', async () => {
    const lines = withoutLines(
      await problems(
        ctx.db,
        `
applications:
  - { name: A, type: saml, saml: { metadataFile: ./missing.xml } }
  - { name: B, type: saml, saml: { entityId: https://b.test, acs: [{ url: https://b.test/acs }], signatureAlgorithm: rsa-sha1 } }
  - { name: C, type: oidc }
  - { name: D, type: oidc, oidc: { clientId: d }, assignments: [user:nobody] }
`,
        { baseDir: stateDir() },
      ),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^applications\[0\]\.saml\.metadataFile: cannot read \.\/missing\.xml/),
        'applications[1].saml.signatureAlgorithm: SHA-1 needs allowSha1: true for this SP',
        'applications[2].oidc: an OIDC application needs oidc.clientId',
      ]),
    );
    const unknown = withoutLines(
      await problems(
        ctx.db,
        'applications:\n  - { name: D, type: oidc, oidc: { clientId: d }, assignments: [user:nobody] }\n',
      ),
    );
    expect(unknown).toEqual(['applications[0].assignments[0]: unknown user:nobody']);
  });
});
