import { describe, expect, test } from 'vitest';
import { type AuditRecord, readAudit } from '../../src/audit/audit.ts';
import { findClient, hashSecret } from '../../src/clients/clients.ts';
import { apply, problems, stateDir, withoutLines } from '../apply/support.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';

const SECRET_1 = 'ci-bot-secret-0123456789abcdefghijklmnop';
const SECRET_2 = 'ci-bot-secret-rotated-0123456789abcdefgh';

const V1 = `
clients:
  - { clientId: ci-bot, name: CI bot, clientSecretFile: ./ci-bot.secret,
      grantTypes: [client_credentials], scopes: ["directory:read"] }
  - clientId: grafana
    name: Grafana
    clientSecretFile: ./grafana.secret
    redirectUris: [https://grafana.example.com/login/generic_oauth]
    scopes: [openid, email, profile, groups]
  - { clientId: cli, name: CLI, public: true, applicationType: native, firstParty: true,
      redirectUris: ["http://127.0.0.1/callback"], grantTypes: [authorization_code, refresh_token] }
`;

describe.each(backends)('apply clients: on $name', (backend) => {
  const ctx = useDb(backend);

  test('creates clients with the secrets from their files, idempotently; edits and rotations are changes', async () => {
    const dir = stateDir({
      'ci-bot.secret': `${SECRET_1}\n`,
      'grafana.secret': 'grafana-secret-0123456789abcdefghijklmnop',
    });
    const first = await apply(ctx.db, V1, { baseDir: dir });
    expect(first.lines).toEqual(['+ client ci-bot', '+ client grafana', '+ client cli']);
    const bot = await findClient(ctx.db, 'ci-bot');
    expect(bot?.secretHash).toBe(hashSecret(SECRET_1));
    expect((await findClient(ctx.db, 'cli'))?.public).toBe(true);
    expect((await apply(ctx.db, V1, { baseDir: dir })).summary).toBe('0 changes');

    const edited = stateDir({
      'ci-bot.secret': SECRET_2,
      'grafana.secret': 'grafana-secret-0123456789abcdefghijklmnop',
    });
    const second = await apply(ctx.db, V1.replace('CI bot', 'CI robot'), { baseDir: edited });
    expect(second.lines).toEqual(['~ client ci-bot: name, secret']);
    expect((await findClient(ctx.db, 'ci-bot'))?.secretHash).toBe(hashSecret(SECRET_2));
    const audit: AuditRecord[] = [];
    for await (const record of readAudit(ctx.db)) audit.push(record);
    expect(audit.map((e) => e.action)).toContain('client.rotate_secret');
    expect(JSON.stringify(audit)).not.toContain(SECRET_2);

    const pruned = await apply(ctx.db, 'clients: []', { prune: true });
    expect(pruned.lines).toEqual([
      '- client ci-bot (delete)',
      '- client cli (delete)',
      '- client grafana (delete)',
    ]);
  });

  test('refuses plaintext secrets, missing or weak secret files, and contradictory settings', async () => {
    const dir = stateDir({ 'weak.secret': 'short' });
    const lines = withoutLines(
      await problems(
        ctx.db,
        `
clients:
  - { clientId: a, name: A, clientSecret: hunter2, grantTypes: [client_credentials] }
  - { clientId: b, name: B, grantTypes: [client_credentials] }
  - { clientId: c, name: C, clientSecretFile: ./weak.secret, grantTypes: [client_credentials] }
  - { clientId: d, name: D, public: true, grantTypes: [client_credentials] }
  - { clientId: e, name: E, public: true, redirectUris: ["http://evil.example/cb"] }
`,
        { baseDir: dir },
      ),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^clients\[0\]\.clientSecret: plaintext secrets are not accepted/),
        expect.stringMatching(
          /^clients\[1\]\.clientSecretFile: a confidential client needs clientSecretFile/,
        ),
        expect.stringMatching(/^clients\[2\]\.clientSecretFile: \.\/weak\.secret: a secret of at least 32/),
        expect.stringMatching(/^clients\[3\]\.grantTypes: client_credentials needs a confidential client/),
        expect.stringMatching(/^clients\[4\]\.redirectUris\[0\]: http is allowed only to loopback addresses/),
      ]),
    );
  });
});
