// Acceptance: the AWS SDK v3 clients, pointed at Gatehouse by endpoint overrides, do what they do
// against AWS: register, device authorization (approved on the pages by the person), poll, list
// accounts and roles, get role credentials, and GetCallerIdentity signed with those credentials.

import { createHash, randomBytes } from 'node:crypto';
import {
  GetRoleCredentialsCommand,
  ListAccountRolesCommand,
  ListAccountsCommand,
  LogoutCommand,
  SSOClient,
  UnauthorizedException,
} from '@aws-sdk/client-sso';
import {
  AccessDeniedException,
  AuthorizationPendingException,
  CreateTokenCommand,
  ExpiredTokenException,
  InvalidClientException,
  InvalidGrantException,
  RegisterClientCommand,
  SlowDownException,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLIENTS_CHANNEL, deleteExpiredClients } from '../../../src/clients/clients.ts';
import { disableUser } from '../../../src/directory/users.ts';
import { notify } from '../../../src/store/db.ts';
import { backends } from '../../support/backends.ts';
import { type CookieJar, signIn } from '../../support/signin.ts';
import { type OidcServer, startOidcServer } from '../oidc/support.ts';
import { approveDevice, follow, PASSWORD, seedAws } from './support.ts';

const region = 'us-east-1';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(backends)('AWS SDK v3 clients against Gatehouse ($name)', (backend) => {
  let server: OidcServer;
  let seeded: Awaited<ReturnType<typeof seedAws>>;
  let jar: CookieJar;
  let oidc: SSOOIDCClient;
  let sso: SSOClient;
  let client: { clientId: string; clientSecret: string };

  /** A device login of alice through the SDK: start, approve on the pages, poll until the token. */
  async function deviceLogin() {
    const device = await oidc.send(
      new StartDeviceAuthorizationCommand({ ...client, startUrl: `${server.url}/start` }),
    );
    await approveDevice(jar, device.verificationUri!, device.userCode!);
    for (;;) {
      try {
        return await oidc.send(
          new CreateTokenCommand({ ...client, grantType: DEVICE_GRANT, deviceCode: device.deviceCode! }),
        );
      } catch (error) {
        if (!(error instanceof SlowDownException)) throw error;
        await sleep(device.interval! * 1000);
      }
    }
  }

  beforeAll(async () => {
    server = await startOidcServer(backend.name);
    seeded = await seedAws(server.runtime.db);
    ({ jar } = await signIn({ baseUrl: server.url, userName: 'alice', password: PASSWORD }));
    oidc = new SSOOIDCClient({ region, endpoint: `${server.url}/aws/sso-oidc` });
    sso = new SSOClient({ region, endpoint: `${server.url}/aws/sso` });
    const registered = await oidc.send(
      new RegisterClientCommand({
        clientName: 'sdk-test',
        clientType: 'public',
        scopes: ['sso:account:access'],
      }),
    );
    client = { clientId: registered.clientId!, clientSecret: registered.clientSecret! };
  });
  afterAll(() => server?.stop());

  test('register → device authorization → pending, slow down → approved → token → accounts, roles, credentials → GetCallerIdentity', async () => {
    expect(client.clientId).toMatch(/^aws-/);
    const device = await oidc.send(
      new StartDeviceAuthorizationCommand({ ...client, startUrl: `${server.url}/start` }),
    );
    expect(device).toMatchObject({
      userCode: expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/),
      verificationUri: `${server.url}/oidc/device`,
      expiresIn: expect.any(Number),
      interval: expect.any(Number),
    });
    const poll = () =>
      oidc.send(
        new CreateTokenCommand({ ...client, grantType: DEVICE_GRANT, deviceCode: device.deviceCode! }),
      );
    await expect(poll()).rejects.toBeInstanceOf(AuthorizationPendingException);
    await expect(poll()).rejects.toBeInstanceOf(SlowDownException);

    const done = await approveDevice(
      jar,
      device.verificationUriComplete!.replace(/\?.*/, ''),
      device.userCode!,
    );
    expect(done).toContain('Device connected');
    await sleep(device.interval! * 1000);
    const token = await poll();
    expect(token).toMatchObject({ tokenType: 'Bearer', expiresIn: expect.any(Number) });
    expect(token.accessToken).toBeTruthy();
    expect(token.refreshToken).toBeTruthy();

    const accounts = await sso.send(new ListAccountsCommand({ accessToken: token.accessToken! }));
    expect(accounts.accountList).toEqual([
      { accountId: '111122223333', accountName: 'production', emailAddress: 'aws-prod@example.com' },
    ]);
    const roles = await sso.send(
      new ListAccountRolesCommand({ accessToken: token.accessToken!, accountId: '111122223333' }),
    );
    expect(roles.roleList).toEqual([{ roleName: 'Developer', accountId: '111122223333' }]);
    const { roleCredentials } = await sso.send(
      new GetRoleCredentialsCommand({
        accessToken: token.accessToken!,
        accountId: '111122223333',
        roleName: 'Developer',
      }),
    );
    expect(roleCredentials!.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(roleCredentials!.expiration).toBeGreaterThan(Date.now());
    expect(roleCredentials!.expiration).toBeLessThanOrEqual(Date.now() + 3600_000);

    const sts = new STSClient({
      region,
      endpoint: `${server.url}/aws/sts`,
      credentials: {
        accessKeyId: roleCredentials!.accessKeyId!,
        secretAccessKey: roleCredentials!.secretAccessKey!,
        sessionToken: roleCredentials!.sessionToken!,
      },
    });
    expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({
      Account: '111122223333',
      Arn: 'arn:aws:sts::111122223333:assumed-role/Developer/alice',
      UserId: `${seeded.developer.id}:alice`,
    });

    // A refresh gives a new access token that works the same; the old refresh token is spent.
    const refreshed = await oidc.send(
      new CreateTokenCommand({ ...client, grantType: 'refresh_token', refreshToken: token.refreshToken! }),
    );
    expect(refreshed.accessToken).not.toBe(token.accessToken);
    await sso.send(new ListAccountsCommand({ accessToken: refreshed.accessToken! }));

    // Logout ends the token (and its grant).
    await sso.send(new LogoutCommand({ accessToken: refreshed.accessToken! }));
    await expect(
      sso.send(new ListAccountsCommand({ accessToken: refreshed.accessToken! })),
    ).rejects.toBeInstanceOf(UnauthorizedException);
  });

  test('unknown client, wrong secret, denied, expired device code: the SDK exceptions', async () => {
    const start = (c: { clientId: string; clientSecret: string }) =>
      oidc.send(new StartDeviceAuthorizationCommand({ ...c, startUrl: `${server.url}/start` }));
    await expect(start({ clientId: 'aws-unknown', clientSecret: 'x' })).rejects.toBeInstanceOf(
      InvalidClientException,
    );
    await expect(start({ ...client, clientSecret: 'ghcs_wrong' })).rejects.toBeInstanceOf(
      InvalidClientException,
    );
    await expect(
      oidc.send(new CreateTokenCommand({ ...client, grantType: DEVICE_GRANT, deviceCode: 'no-such-code' })),
    ).rejects.toBeInstanceOf(InvalidGrantException);

    const denied = await start(client);
    await approveDevice(jar, denied.verificationUri!, denied.userCode!, { decision: 'deny' });
    await expect(
      oidc.send(
        new CreateTokenCommand({ ...client, grantType: DEVICE_GRANT, deviceCode: denied.deviceCode! }),
      ),
    ).rejects.toBeInstanceOf(AccessDeniedException);

    const expired = await start(client);
    await server.runtime.db.query(
      `update oidc_store set payload = jsonb_set(payload, '{exp}', to_jsonb(extract(epoch from now())::int - 5))
       where model = 'DeviceCode' and id = $1`,
      [expired.deviceCode],
    );
    await expect(
      oidc.send(
        new CreateTokenCommand({ ...client, grantType: DEVICE_GRANT, deviceCode: expired.deviceCode! }),
      ),
    ).rejects.toBeInstanceOf(ExpiredTokenException);
  });

  test('bogus or expired bearer → UnauthorizedException; a role or account not held → ForbiddenException', async () => {
    await expect(sso.send(new ListAccountsCommand({ accessToken: 'bogus' }))).rejects.toBeInstanceOf(
      UnauthorizedException,
    );
    const token = await deviceLogin();
    const accessToken = token.accessToken!;
    for (const [accountId, roleName] of [
      ['111122223333', 'Admin'],
      ['999999999999', 'Developer'],
    ] as const) {
      await expect(
        sso.send(new GetRoleCredentialsCommand({ accessToken, accountId, roleName })),
      ).rejects.toMatchObject({ name: 'ForbiddenException', $metadata: { httpStatusCode: 403 } });
    }
    expect(
      (await sso.send(new ListAccountRolesCommand({ accessToken, accountId: '999999999999' }))).roleList,
    ).toEqual([]);
    await server.runtime.db.query(
      `update oidc_store set payload = jsonb_set(payload, '{exp}', to_jsonb(extract(epoch from now())::int - 5))
       where model = 'AccessToken' and id = $1`,
      [accessToken],
    );
    await expect(sso.send(new ListAccountsCommand({ accessToken }))).rejects.toBeInstanceOf(
      UnauthorizedException,
    );
  });

  test('a registration expires as advertised (then the client is refused and swept); registering is rate limited', async () => {
    const registered = await oidc.send(
      new RegisterClientCommand({ clientName: 'short-lived', clientType: 'public' }),
    );
    const days = (registered.clientSecretExpiresAt! - registered.clientIdIssuedAt!) / 86_400;
    expect(days).toBe(90);
    const stored = await server.runtime.db.query<{ expires_at: Date }>(
      'select expires_at from oauth_clients where id = $1',
      [registered.clientId],
    );
    expect(Math.floor(stored.rows[0]!.expires_at.getTime() / 1000)).toBe(registered.clientSecretExpiresAt);

    // Ninety days later (moved, and every node told, as any change to a client is).
    await server.runtime.db.transaction(async (tx) => {
      await tx.query("update oauth_clients set expires_at = now() - interval '1 second' where id = $1", [
        registered.clientId,
      ]);
      await notify(tx, CLIENTS_CHANNEL, registered.clientId!);
    });
    const start = () =>
      oidc.send(
        new StartDeviceAuthorizationCommand({
          clientId: registered.clientId!,
          clientSecret: registered.clientSecret!,
          startUrl: `${server.url}/start`,
        }),
      );
    await expect.poll(() => start().catch((e: unknown) => e)).toBeInstanceOf(InvalidClientException);
    expect(await deleteExpiredClients(server.runtime.db)).toBe(1);
    const gone = await server.runtime.db.query(
      "select 1 from audit_log where action = 'client.delete' and target = $1",
      [`client:${registered.clientId}`],
    );
    expect(gone.rows).toHaveLength(1);
    expect(await deleteExpiredClients(server.runtime.db)).toBe(0);
    // The suite's own client is untouched.
    await expect(
      oidc.send(new StartDeviceAuthorizationCommand({ ...client, startUrl: `${server.url}/start` })),
    ).resolves.toBeDefined();

    // 10 a minute per address, in bursts of 30: a loop registering is stopped, in AWS's format.
    let accepted = 0;
    let refusal: unknown;
    while (accepted < 40 && !refusal) {
      await oidc
        .send(new RegisterClientCommand({ clientName: `flood-${accepted}`, clientType: 'public' }))
        .then(() => accepted++)
        .catch((error: unknown) => {
          refusal = error;
        });
    }
    expect(refusal).toBeInstanceOf(SlowDownException);
    expect(accepted).toBeGreaterThan(20);
    expect(accepted).toBeLessThan(31);
    const raw = await fetch(`${server.url}/aws/sso-oidc/client/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientName: 'again', clientType: 'public' }),
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-errortype')).toBe('SlowDownException');
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('a person disabled in the directory: their SSO tokens stop working', async () => {
    const token = await deviceLogin();
    await sso.send(new ListAccountsCommand({ accessToken: token.accessToken! }));
    await server.runtime.db.transaction((tx) => disableUser(tx, { actor: 'test' }, seeded.alice.id));
    // Revocation reaches the node by NOTIFY (or the reconcile timer): wait for it, not for a time.
    await expect
      .poll(
        () => sso.send(new ListAccountsCommand({ accessToken: token.accessToken! })).catch((e: unknown) => e),
        {
          timeout: 15_000,
        },
      )
      .toBeInstanceOf(UnauthorizedException);
  });
});

describe('the AWS CLI browser flow: authorization code with PKCE through /aws/sso-oidc/authorize', () => {
  let server: OidcServer;
  let jar: CookieJar;
  beforeAll(async () => {
    server = await startOidcServer('pglite');
    await seedAws(server.runtime.db);
    ({ jar } = await signIn({ baseUrl: server.url, userName: 'alice', password: PASSWORD }));
  });
  afterAll(() => server?.stop());

  test('register with a loopback redirect, authorize (any port), CreateToken with code and verifier', async () => {
    const oidc = new SSOOIDCClient({ region, endpoint: `${server.url}/aws/sso-oidc` });
    const registered = await oidc.send(
      new RegisterClientCommand({
        clientName: 'browser-flow',
        clientType: 'public',
        scopes: ['sso:account:access'],
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['http://127.0.0.1/oauth/callback'],
        issuerUrl: `${server.url}/start`,
      }),
    );
    expect(registered.authorizationEndpoint).toBe(`${server.url}/aws/sso-oidc/authorize`);
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://127.0.0.1:54321/oauth/callback';
    const authorize = new URL(registered.authorizationEndpoint!);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: registered.clientId!,
      redirect_uri: redirectUri,
      state: 'st-123',
      code_challenge_method: 'S256',
      code_challenge: challenge,
      scopes: 'sso:account:access',
    }))
      authorize.searchParams.set(name, value);
    const { location } = await follow(jar, await jar.fetch(authorize.href), authorize.href, {
      stopAt: redirectUri,
    });
    const back = new URL(location!);
    expect(back.searchParams.get('state')).toBe('st-123');
    const code = back.searchParams.get('code')!;
    expect(code).toBeTruthy();
    const pair = { clientId: registered.clientId!, clientSecret: registered.clientSecret! };
    await expect(
      oidc.send(
        new CreateTokenCommand({
          ...pair,
          grantType: 'authorization_code',
          code,
          redirectUri,
          codeVerifier: 'wrong'.repeat(10),
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidGrantException);
    // A code is spent by its first use, even a failed one: start again for the real exchange.
    const again = await follow(jar, await jar.fetch(authorize.href), authorize.href, { stopAt: redirectUri });
    const token = await oidc.send(
      new CreateTokenCommand({
        ...pair,
        grantType: 'authorization_code',
        code: new URL(again.location!).searchParams.get('code')!,
        redirectUri,
        codeVerifier: verifier,
      }),
    );
    const sso = new SSOClient({ region, endpoint: `${server.url}/aws/sso` });
    expect(
      (await sso.send(new ListAccountsCommand({ accessToken: token.accessToken! }))).accountList,
    ).toHaveLength(1);
  });
});
