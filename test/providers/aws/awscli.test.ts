// Debian's AWS CLI v2 (/usr/bin/aws, 2.9.19) against Gatehouse with --endpoint-url (this version
// ignores the AWS_ENDPOINT_URL* variables), and a profile whose credential_process is
// `gatehouse credentials`. Skipped where the package is missing, a failure in CI.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loginTiming } from '../../../src/cli/login.ts';
import { ROOT, tempDir } from '../../support/server.ts';
import { type CookieJar, signIn } from '../../support/signin.ts';
import { type OidcServer, startOidcServer } from '../oidc/support.ts';
import { approveDevice, gatehouseLogin, PASSWORD, seedAws } from './support.ts';

const AWS = '/usr/bin/aws';
const present = existsSync(AWS);
if (!present && process.env['CI']) throw new Error(`${AWS} is missing (Debian package awscli)`);
const ARN = 'arn:aws:sts::111122223333:assumed-role/Developer/alice';
// Each run of the Python CLI takes seconds on a busy machine: generous limits, nothing timed.

let server: OidcServer;
let jar: CookieJar;
let home: string;

/** Runs /usr/bin/aws with a clean, throwaway configuration; never throws on a non-zero exit. */
function aws(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      AWS,
      [...args, '--region', 'us-east-1', '--output', 'json'],
      {
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: home,
          AWS_CONFIG_FILE: join(home, 'aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_PAGER: '',
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const json = (result: { code: number; stdout: string; stderr: string }) => {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
};

describe.skipIf(!present)('AWS CLI v2 (/usr/bin/aws)', () => {
  beforeAll(async () => {
    loginTiming.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 200)));
    server = await startOidcServer('pglite');
    await seedAws(server.runtime.db);
    ({ jar } = await signIn({ baseUrl: server.url, userName: 'alice', password: PASSWORD }));
    home = tempDir('gh-awscli-');
    writeFileSync(join(home, 'aws-config'), '');
    writeFileSync(join(home, 'aws-credentials'), '');
  });
  afterAll(() => server?.stop());

  test('aws sso-oidc register/start/create-token, aws sso list/get-role-credentials, aws sts get-caller-identity', async () => {
    const oidc = ['--endpoint-url', `${server.url}/aws/sso-oidc`];
    const client = json(
      await aws([
        'sso-oidc',
        'register-client',
        '--client-name',
        'awscli',
        '--client-type',
        'public',
        ...oidc,
      ]),
    );
    expect(client.clientId).toMatch(/^aws-/);
    // `--name=value`: a random secret or device code may begin with '-', which the CLI would take
    // for an option of its own.
    const auth = ['--client-id', client.clientId, `--client-secret=${client.clientSecret}`];
    const device = json(
      await aws([
        'sso-oidc',
        'start-device-authorization',
        ...auth,
        '--start-url',
        `${server.url}/start`,
        ...oidc,
      ]),
    );
    const createToken = () =>
      aws([
        'sso-oidc',
        'create-token',
        ...auth,
        '--grant-type',
        'urn:ietf:params:oauth:grant-type:device_code',
        `--device-code=${device.deviceCode}`,
        ...oidc,
      ]);
    const pending = await createToken();
    expect(pending.code).not.toBe(0);
    expect(pending.stderr).toContain('AuthorizationPendingException');
    await approveDevice(jar, device.verificationUri, device.userCode);
    // Poll as the CLI's own login loop does: wait the interval, and longer when told to slow down
    // (a slow machine can bunch two polls together).
    let answer: Awaited<ReturnType<typeof aws>>;
    for (let attempt = 0; ; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, device.interval * 1000 * (attempt + 1)));
      answer = await createToken();
      if (answer.code === 0 || attempt === 3 || !answer.stderr.includes('SlowDownException')) break;
    }
    const token = json(answer);
    expect(token.tokenType).toBe('Bearer');

    const sso = ['--endpoint-url', `${server.url}/aws/sso`, `--access-token=${token.accessToken}`];
    expect(json(await aws(['sso', 'list-accounts', ...sso])).accountList).toEqual([
      { accountId: '111122223333', accountName: 'production', emailAddress: 'aws-prod@example.com' },
    ]);
    expect(
      json(await aws(['sso', 'list-account-roles', '--account-id', '111122223333', ...sso])).roleList,
    ).toEqual([{ roleName: 'Developer', accountId: '111122223333' }]);
    const { roleCredentials } = json(
      await aws([
        'sso',
        'get-role-credentials',
        '--account-id',
        '111122223333',
        '--role-name',
        'Developer',
        ...sso,
      ]),
    );
    const refused = await aws([
      'sso',
      'get-role-credentials',
      '--account-id',
      '111122223333',
      '--role-name',
      'Admin',
      ...sso,
    ]);
    expect(refused.stderr).toContain('ForbiddenException');
    const bogus = await aws([
      'sso',
      'list-accounts',
      '--endpoint-url',
      `${server.url}/aws/sso`,
      '--access-token',
      'bogus',
    ]);
    expect(bogus.stderr).toContain('UnauthorizedException');

    const caller = json(
      await aws(['sts', 'get-caller-identity', '--endpoint-url', `${server.url}/aws/sts`], {
        AWS_ACCESS_KEY_ID: roleCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: roleCredentials.secretAccessKey,
        AWS_SESSION_TOKEN: roleCredentials.sessionToken,
      }),
    );
    expect(caller).toMatchObject({ Account: '111122223333', Arn: ARN });
    const tampered = await aws(['sts', 'get-caller-identity', '--endpoint-url', `${server.url}/aws/sts`], {
      AWS_ACCESS_KEY_ID: roleCredentials.accessKeyId,
      // One character changed (a random secret may already start with the one put in).
      AWS_SECRET_ACCESS_KEY: roleCredentials.secretAccessKey.replace(/^./, (c: string) =>
        c === 'x' ? 'y' : 'x',
      ),
      AWS_SESSION_TOKEN: roleCredentials.sessionToken,
    });
    expect(tampered.stderr).toContain('SignatureDoesNotMatch');
  }, 240_000);

  test('a profile with credential_process = gatehouse credentials', async () => {
    const gatehouseHome = join(home, 'gatehouse');
    await gatehouseLogin(gatehouseHome, server.url, jar);
    const command = `${process.execPath} --liftoff-only ${join(ROOT, 'bin/gatehouse.js')} credentials --account production --role Developer`;
    writeFileSync(join(home, 'aws-config'), `[profile gatehouse]\ncredential_process = ${command}\n`);
    const caller = json(
      await aws(
        ['sts', 'get-caller-identity', '--profile', 'gatehouse', '--endpoint-url', `${server.url}/aws/sts`],
        {
          GATEHOUSE_HOME: gatehouseHome,
          GATEHOUSE_URL: server.url,
        },
      ),
    );
    expect(caller.Arn).toBe(ARN);
  }, 120_000);
});
