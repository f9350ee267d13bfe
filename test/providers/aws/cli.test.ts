// The person's tools: `gatehouse login` (device flow, token cache) and `gatehouse credentials`
// (credential_process), the SDK's fromProcess and fromSSO credential providers with the endpoint
// overrides, and STS AssumeRoleWithWebIdentity with Gatehouse ID tokens.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTokenCommand,
  RegisterClientCommand,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import {
  AssumeRoleWithWebIdentityCommand,
  ExpiredTokenException,
  GetCallerIdentityCommand,
  InvalidIdentityTokenException,
  STSClient,
} from '@aws-sdk/client-sts';
import { fromProcess, fromSSO } from '@aws-sdk/credential-providers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loginTiming } from '../../../src/cli/login.ts';
import { readToken } from '../../../src/cli/token-cache.ts';
import { ROOT, tempDir } from '../../support/server.ts';
import { type CookieJar, signIn } from '../../support/signin.ts';
import { type OidcServer, startOidcServer } from '../oidc/support.ts';
import { approveDevice, gatehouseLogin, PASSWORD, runGatehouse, seedAws } from './support.ts';

const region = 'us-east-1';
const ARN = 'arn:aws:sts::111122223333:assumed-role/Developer/alice';

let server: OidcServer;
let jar: CookieJar;
let home: string;

const cli = (args: string[]) => runGatehouse(home, args);
const login = () => gatehouseLogin(home, server.url, jar);

beforeAll(async () => {
  loginTiming.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 200)));
  server = await startOidcServer('pglite');
  await seedAws(server.runtime.db);
  ({ jar } = await signIn({ baseUrl: server.url, userName: 'alice', password: PASSWORD }));
  home = tempDir('gh-cli-home-');
});
afterAll(() => server?.stop());

describe('gatehouse login and credentials', () => {
  test('login caches the tokens (0600); credentials prints credential_process JSON that STS accepts', async () => {
    const result = await login();
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Signed in to ${server.url}`);
    const file = join(home, 'tokens.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(readToken(home, server.url)?.refreshToken).toBeTruthy();

    for (const account of ['111122223333', 'production']) {
      const printed = await cli([
        'credentials',
        '--url',
        server.url,
        '--account',
        account,
        '--role',
        'Developer',
      ]);
      expect(printed.code, printed.stderr).toBe(0);
      const json = JSON.parse(printed.stdout);
      expect(json).toMatchObject({
        Version: 1,
        AccessKeyId: expect.stringMatching(/^ASIA/),
        SecretAccessKey: expect.any(String),
        SessionToken: expect.any(String),
        Expiration: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      const sts = new STSClient({
        region,
        endpoint: `${server.url}/aws/sts`,
        credentials: {
          accessKeyId: json.AccessKeyId,
          secretAccessKey: json.SecretAccessKey,
          sessionToken: json.SessionToken,
        },
      });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(ARN);
    }
  });

  test('a token near expiry is refreshed (rotated) before use; a dead refresh token asks for login', async () => {
    const cache = JSON.parse(readFileSync(join(home, 'tokens.json'), 'utf8'));
    const before = cache.servers[server.url];
    cache.servers[server.url] = { ...before, expiresAt: Date.now() + 60_000 };
    writeFileSync(join(home, 'tokens.json'), JSON.stringify(cache), { mode: 0o600 });
    const printed = await cli([
      'credentials',
      '--url',
      server.url,
      '--account',
      'production',
      '--role',
      'Developer',
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    const after = readToken(home, server.url)!;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now() + 5 * 60_000);

    // The old refresh token again: reuse revokes the grant, and the CLI asks for a new login.
    writeFileSync(
      join(home, 'tokens.json'),
      JSON.stringify({ servers: { [server.url]: { ...before, expiresAt: Date.now() } } }),
      { mode: 0o600 },
    );
    const refused = await cli([
      'credentials',
      '--url',
      server.url,
      '--account',
      'production',
      '--role',
      'Developer',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('run gatehouse login');
  });

  test('usage errors and refusals are one line with exit codes 2 and 1', async () => {
    expect((await cli(['credentials', '--account', 'x', '--role', 'y'])).code).toBe(2);
    expect((await cli(['credentials', '--url', server.url, '--role', 'y'])).code).toBe(2);
    expect((await cli(['login', '--bogus'])).code).toBe(2);
    await login();
    const refused = await cli([
      'credentials',
      '--url',
      server.url,
      '--account',
      'production',
      '--role',
      'Admin',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ForbiddenException/);
    const unknown = await cli([
      'credentials',
      '--url',
      server.url,
      '--account',
      'staging',
      '--role',
      'Developer',
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no access to an account staging');
  });
});

describe('SDK credential providers with endpoint overrides', () => {
  test('fromProcess runs `gatehouse credentials` as credential_process', async () => {
    const config = join(home, 'aws-config');
    const command = `${process.execPath} --liftoff-only ${join(ROOT, 'bin/gatehouse.js')} credentials --url ${server.url} --account production --role Developer`;
    writeFileSync(config, `[profile gatehouse]\ncredential_process = ${command}\n`);
    process.env['GATEHOUSE_HOME'] = home;
    process.env['AWS_CONFIG_FILE'] = config;
    try {
      const credentials = await fromProcess({ profile: 'gatehouse' })();
      expect(credentials.accessKeyId).toMatch(/^ASIA/);
      expect(credentials.expiration!.getTime()).toBeGreaterThan(Date.now());
      const sts = new STSClient({ region, endpoint: `${server.url}/aws/sts`, credentials });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(ARN);
    } finally {
      delete process.env['GATEHOUSE_HOME'];
      delete process.env['AWS_CONFIG_FILE'];
    }
  });

  test('fromSSO with an sso-session and AWS_ENDPOINT_URL_SSO / _SSO_OIDC / _STS', async () => {
    // What `aws sso login` leaves behind: a registered client and a token in the SSO cache.
    const oidc = new SSOOIDCClient({ region, endpoint: `${server.url}/aws/sso-oidc` });
    const client = await oidc.send(
      new RegisterClientCommand({ clientName: 'sdk-sso', clientType: 'public' }),
    );
    const pair = { clientId: client.clientId!, clientSecret: client.clientSecret! };
    const device = await oidc.send(
      new StartDeviceAuthorizationCommand({ ...pair, startUrl: `${server.url}/start` }),
    );
    await approveDevice(jar, device.verificationUri!, device.userCode!);
    const token = await oidc.send(
      new CreateTokenCommand({
        ...pair,
        grantType: 'urn:ietf:params:oauth:grant-type:device_code',
        deviceCode: device.deviceCode!,
      }),
    );
    const awsHome = tempDir('gh-aws-home-');
    const cacheDir = join(awsHome, '.aws', 'sso', 'cache');
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(
      join(cacheDir, `${createHash('sha1').update('gatehouse').digest('hex')}.json`),
      JSON.stringify({
        startUrl: `${server.url}/start`,
        region,
        accessToken: token.accessToken,
        expiresAt: new Date(Date.now() + token.expiresIn! * 1000).toISOString(),
        refreshToken: token.refreshToken,
        clientId: pair.clientId,
        clientSecret: pair.clientSecret,
        registrationExpiresAt: new Date(client.clientSecretExpiresAt! * 1000).toISOString(),
      }),
    );
    const config = join(awsHome, '.aws', 'config');
    writeFileSync(
      config,
      `[profile dev]\nsso_session = gatehouse\nsso_account_id = 111122223333\nsso_role_name = Developer\nregion = ${region}\n\n` +
        `[sso-session gatehouse]\nsso_start_url = ${server.url}/start\nsso_region = ${region}\nsso_registration_scopes = sso:account:access\n`,
    );
    const saved = { ...process.env };
    Object.assign(process.env, {
      HOME: awsHome,
      AWS_CONFIG_FILE: config,
      AWS_ENDPOINT_URL_SSO: `${server.url}/aws/sso`,
      AWS_ENDPOINT_URL_SSO_OIDC: `${server.url}/aws/sso-oidc`,
      AWS_ENDPOINT_URL_STS: `${server.url}/aws/sts`,
    });
    try {
      const credentials = await fromSSO({ profile: 'dev' })();
      expect(credentials.accessKeyId).toMatch(/^ASIA/);
      // The STS client takes its endpoint from AWS_ENDPOINT_URL_STS.
      const sts = new STSClient({ region, credentials });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(ARN);
    } finally {
      for (const name of [
        'HOME',
        'AWS_CONFIG_FILE',
        'AWS_ENDPOINT_URL_SSO',
        'AWS_ENDPOINT_URL_SSO_OIDC',
        'AWS_ENDPOINT_URL_STS',
      ])
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
    }
  });
});

describe('AssumeRoleWithWebIdentity', () => {
  const sts = () =>
    new STSClient({
      region,
      endpoint: `${server.url}/aws/sts`,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
  const assume = (token: string, role = 'arn:aws:iam::111122223333:role/Developer') =>
    sts().send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: role,
        RoleSessionName: 'alice-session',
        WebIdentityToken: token,
      }),
    );
  /** A JWT signed by the server's own ES256 key with the given claims (or by another key). */
  function signed(claims: Record<string, unknown>, foreign = false): string {
    const key = server.runtime.keys.signingKey('ES256');
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: key.kid, typ: 'JWT' })).toString(
      'base64url',
    );
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const privateKey = foreign
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : key.privateKey;
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${header}.${payload}.${signature.toString('base64url')}`;
  }

  test('a Gatehouse ID token of a first-party client becomes credentials of the named permission set', async () => {
    const idToken = readToken(home, server.url)!.idToken!;
    const assumed = await assume(idToken);
    expect(assumed.AssumedRoleUser?.Arn).toBe(ARN);
    expect(assumed.Provider).toBe(`${server.url}/oidc`);
    expect(assumed.Audience).toBe('gatehouse-cli');
    const credentials = assumed.Credentials!;
    const caller = new STSClient({
      region,
      endpoint: `${server.url}/aws/sts`,
      credentials: {
        accessKeyId: credentials.AccessKeyId!,
        secretAccessKey: credentials.SecretAccessKey!,
        sessionToken: credentials.SessionToken!,
      },
    });
    expect((await caller.send(new GetCallerIdentityCommand({}))).Arn).toBe(ARN);
  });

  test('expired, foreign, tampered or third-party tokens, and roles not held, are refused in AWS XML', async () => {
    const idToken = readToken(home, server.url)!.idToken!;
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString());
    const now = Math.floor(Date.now() / 1000);
    await expect(assume(signed({ ...claims, iat: now - 7200, exp: now - 3600 }))).rejects.toBeInstanceOf(
      ExpiredTokenException,
    );
    await expect(assume(signed(claims, true))).rejects.toBeInstanceOf(InvalidIdentityTokenException);
    await expect(assume(signed({ ...claims, iss: 'https://evil.example/oidc' }))).rejects.toBeInstanceOf(
      InvalidIdentityTokenException,
    );
    const [h, p, s] = idToken.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${s}`;
    await expect(assume(tampered)).rejects.toBeInstanceOf(InvalidIdentityTokenException);
    await expect(assume(`${h}.${p}`)).rejects.toBeInstanceOf(InvalidIdentityTokenException);
    // An ID token a third-party client received cannot be turned into credentials by that client.
    await expect(
      assume(signed({ ...claims, aud: 'aws-some-client', azp: undefined })),
    ).rejects.toBeInstanceOf(InvalidIdentityTokenException);
    await expect(assume(idToken, 'arn:aws:iam::111122223333:role/Admin')).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(assume(idToken, 'not-an-arn')).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
