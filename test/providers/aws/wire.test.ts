// The wire layer alone: the AWS SDK v3 clients against the three front doors over stub backends, so
// every field name, casing, timestamp format and error type is checked by AWS's own deserializers.
// The real backends are exercised end to end in sdk.test.ts.

import {
  GetRoleCredentialsCommand,
  ListAccountRolesCommand,
  ListAccountsCommand,
  LogoutCommand,
  ResourceNotFoundException,
  SSOClient,
  UnauthorizedException,
} from '@aws-sdk/client-sso';
import {
  AuthorizationPendingException,
  CreateTokenCommand,
  InvalidClientException,
  RegisterClientCommand,
  SlowDownException,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import {
  AssumeRoleWithSAMLCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  InvalidIdentityTokenException,
  STSClient,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AwsError } from '../../../providers/aws/errors.ts';
import { ssoError, ssoOidcError } from '../../../providers/aws/json.ts';
import { type SsoBackend, type SsoSession, ssoRoutes } from '../../../providers/aws/sso.ts';
import { type SsoOidcBackend, ssoOidcRoutes } from '../../../providers/aws/sso-oidc.ts';
import { type StsBackend, stsRoutes } from '../../../providers/aws/sts.ts';
import { GatehouseError } from '../../../src/errors.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';

const region = 'us-east-1';
const dummy = { accessKeyId: 'ASIAEXAMPLEEXAMPLE00', secretAccessKey: 'secret', sessionToken: 'token' };

const oidcBackend: SsoOidcBackend = {
  async registerClient(input) {
    if (input.clientName === 'boom') throw new Error('a bug');
    return {
      clientId: 'aws-1',
      clientSecret: 's3cret',
      clientIdIssuedAt: 1_700_000_000,
      clientSecretExpiresAt: 1_800_000_000,
    };
  },
  async startDeviceAuthorization(input) {
    if (input.clientSecret !== 's3cret') throw ssoOidcError('InvalidClientException', 'unknown client');
    return {
      deviceCode: 'dev-code',
      userCode: 'ABCD-EFGH',
      verificationUri: 'http://x/oidc/device',
      verificationUriComplete: 'http://x/oidc/device?user_code=ABCD-EFGH',
      expiresIn: 600,
      interval: 1,
    };
  },
  async createToken(input) {
    if (input.deviceCode === 'pending') throw ssoOidcError('AuthorizationPendingException', 'not yet');
    if (input.deviceCode === 'fast') throw ssoOidcError('SlowDownException', 'slow down');
    if (input.deviceCode === 'domain') throw new GatehouseError('rate_limited', 'x.y', 'too many');
    return { accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600, refreshToken: 'rt', idToken: 'it' };
  },
  async authorize(query) {
    return `/oidc/auth?client_id=${query.get('client_id')}`;
  },
};

const session: SsoSession = { userId: 'u1', mfa: true, tokenId: 't1' };
const ssoBackend: SsoBackend = {
  async session(token) {
    return token === 'good' ? session : undefined;
  },
  async accounts() {
    return Array.from({ length: 5 }, (_, i) => ({
      accountId: `11112222333${i}`,
      accountName: `account-${i}`,
      emailAddress: `a${i}@example.com`,
    }));
  },
  async roles(_s, accountId) {
    return accountId === '111122223330' ? ['Developer', 'ReadOnly'] : [];
  },
  async credentials(_s, accountId, roleName) {
    if (roleName !== 'Developer')
      throw ssoError('ResourceNotFoundException', `no role ${roleName} in ${accountId}`);
    return { accessKeyId: 'ASIA1', secretAccessKey: 'sk', sessionToken: 'st', expiration: 1_900_000_000_000 };
  },
  async logout() {},
};

const stsBackend: StsBackend = {
  callerIdentity(request) {
    if (!request.headers['authorization']) throw new AwsError('MissingAuthenticationToken', 403, 'unsigned');
    return {
      UserId: 'ps-1:alice',
      Account: '111122223333',
      Arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
    };
  },
  async assumeRoleWithWebIdentity(input) {
    if (input.webIdentityToken === 'bad') throw new AwsError('InvalidIdentityToken', 400, 'bad token');
    return {
      credentials: {
        AccessKeyId: 'ASIA2',
        SecretAccessKey: 'sk',
        SessionToken: 'st',
        Expiration: '2030-01-01T00:00:00.000Z',
      },
      subject: 'u1',
      assumedRoleId: 'ps-1:alice',
      arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
      provider: 'http://x/oidc',
      audience: 'client',
    };
  },
  async assumeRoleWithSaml(input) {
    if (input.samlResponse !== '<ok/>') throw new AwsError('InvalidIdentityToken', 400, 'bad assertion');
    return {
      credentials: {
        AccessKeyId: 'ASIA3',
        SecretAccessKey: 'sk',
        SessionToken: 'st',
        Expiration: '2030-01-01T00:00:00.000Z',
      },
      assumedRoleId: 'ps-1:alice',
      arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
      subject: 'opaque',
      subjectType: 'persistent',
      issuer: 'http://x/saml/metadata',
      audience: 'https://signin.aws.amazon.com/saml',
      nameQualifier: 'q=',
    };
  },
};

let server: TestServer;
let oidc: SSOOIDCClient;
let sso: SSOClient;
let sts: STSClient;

beforeAll(async () => {
  server = await startTestServer({
    backend: 'pglite',
    routers: (runtime) => [
      ssoOidcRoutes(runtime, oidcBackend),
      ssoRoutes(runtime, ssoBackend),
      stsRoutes(runtime, stsBackend),
    ],
  });
  oidc = new SSOOIDCClient({ region, endpoint: `${server.url}/aws/sso-oidc` });
  sso = new SSOClient({ region, endpoint: `${server.url}/aws/sso` });
  sts = new STSClient({ region, endpoint: `${server.url}/aws/sts`, credentials: dummy });
});
afterAll(() => server?.stop());

describe('sso-oidc', () => {
  test('RegisterClient, StartDeviceAuthorization and CreateToken parse', async () => {
    const client = await oidc.send(new RegisterClientCommand({ clientName: 'cli', clientType: 'public' }));
    expect(client).toMatchObject({
      clientId: 'aws-1',
      clientSecret: 's3cret',
      clientIdIssuedAt: 1_700_000_000,
      clientSecretExpiresAt: 1_800_000_000,
      tokenEndpoint: expect.stringMatching(/\/aws\/sso-oidc\/token$/),
    });
    const device = await oidc.send(
      new StartDeviceAuthorizationCommand({
        clientId: 'aws-1',
        clientSecret: 's3cret',
        startUrl: 'http://x',
      }),
    );
    expect(device).toMatchObject({
      deviceCode: 'dev-code',
      userCode: 'ABCD-EFGH',
      expiresIn: 600,
      interval: 1,
    });
    const token = await oidc.send(
      new CreateTokenCommand({
        clientId: 'aws-1',
        clientSecret: 's3cret',
        grantType: 'urn:ietf:params:oauth:grant-type:device_code',
        deviceCode: 'ok',
      }),
    );
    expect(token).toMatchObject({
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresIn: 3600,
      refreshToken: 'rt',
      idToken: 'it',
    });
  });

  test('errors carry x-amzn-errortype and become the SDK exception classes', async () => {
    const create = (deviceCode: string) =>
      oidc.send(
        new CreateTokenCommand({
          clientId: 'c',
          clientSecret: 's',
          grantType: 'urn:ietf:params:oauth:grant-type:device_code',
          deviceCode,
        }),
      );
    await expect(create('pending')).rejects.toBeInstanceOf(AuthorizationPendingException);
    await expect(create('fast')).rejects.toBeInstanceOf(SlowDownException);
    await expect(create('domain')).rejects.toBeInstanceOf(SlowDownException);
    await expect(
      oidc.send(
        new StartDeviceAuthorizationCommand({
          clientId: 'aws-1',
          clientSecret: 'wrong',
          startUrl: 'http://x',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidClientException);

    const raw = await fetch(`${server.url}/aws/sso-oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'c', clientSecret: 's', grantType: 'x', deviceCode: 'pending' }),
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-errortype')).toBe('AuthorizationPendingException');
    expect(await raw.json()).toEqual({ error: 'authorization_pending', error_description: 'not yet' });
  });

  test('malformed bodies, missing members and bugs answer in the format, never a stack', async () => {
    for (const body of ['{not json', JSON.stringify({ clientName: 'x' }), JSON.stringify([1])]) {
      const answer = await fetch(`${server.url}/aws/sso-oidc/client/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
      expect(((await answer.json()) as { error: string }).error).toBe('invalid_request');
    }
    const bug = await fetch(`${server.url}/aws/sso-oidc/client/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientName: 'boom', clientType: 'public' }),
    });
    expect(bug.status).toBe(500);
    expect(bug.headers.get('x-amzn-errortype')).toBe('InternalServerException');
    expect(await bug.text()).not.toContain('a bug');
    const iam = await fetch(`${server.url}/aws/sso-oidc/token?aws_iam=t`, { method: 'POST', body: '{}' });
    expect(iam.headers.get('x-amzn-errortype')).toBe('UnsupportedGrantTypeException');
  });

  test('GET /authorize redirects where the backend says', async () => {
    const answer = await fetch(`${server.url}/aws/sso-oidc/authorize?client_id=c1`, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/oidc/auth?client_id=c1');
  });
});

describe('sso', () => {
  test('ListAccounts pages, ListAccountRoles, GetRoleCredentials (epoch ms), Logout', async () => {
    const first = await sso.send(new ListAccountsCommand({ accessToken: 'good', maxResults: 2 }));
    expect(first.accountList).toEqual([
      { accountId: '111122223330', accountName: 'account-0', emailAddress: 'a0@example.com' },
      { accountId: '111122223331', accountName: 'account-1', emailAddress: 'a1@example.com' },
    ]);
    expect(first.nextToken).toBeTruthy();
    const rest = await sso.send(
      new ListAccountsCommand({ accessToken: 'good', nextToken: first.nextToken! }),
    );
    expect(rest.accountList?.map((a) => a.accountId)).toEqual([
      '111122223332',
      '111122223333',
      '111122223334',
    ]);
    expect(rest.nextToken).toBeUndefined();

    const roles = await sso.send(
      new ListAccountRolesCommand({ accessToken: 'good', accountId: '111122223330' }),
    );
    expect(roles.roleList).toEqual([
      { roleName: 'Developer', accountId: '111122223330' },
      { roleName: 'ReadOnly', accountId: '111122223330' },
    ]);
    const creds = await sso.send(
      new GetRoleCredentialsCommand({
        accessToken: 'good',
        accountId: '111122223330',
        roleName: 'Developer',
      }),
    );
    expect(creds.roleCredentials).toEqual({
      accessKeyId: 'ASIA1',
      secretAccessKey: 'sk',
      sessionToken: 'st',
      expiration: 1_900_000_000_000,
    });
    await sso.send(new LogoutCommand({ accessToken: 'good' }));
  });

  test('bad token → UnauthorizedException, unknown role → ResourceNotFoundException, bad paging → 400', async () => {
    await expect(sso.send(new ListAccountsCommand({ accessToken: 'bogus' }))).rejects.toBeInstanceOf(
      UnauthorizedException,
    );
    const none = await fetch(`${server.url}/aws/sso/assignment/accounts`);
    expect(none.status).toBe(401);
    expect(none.headers.get('x-amzn-errortype')).toBe('UnauthorizedException');
    expect(await none.json()).toEqual({ message: expect.any(String) });
    await expect(
      sso.send(new GetRoleCredentialsCommand({ accessToken: 'good', accountId: '1', roleName: 'Admin' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    for (const query of ['next_token=zzz', 'max_result=0', 'max_result=abc']) {
      const answer = await fetch(`${server.url}/aws/sso/assignment/accounts?${query}`, {
        headers: { 'x-amz-sso_bearer_token': 'good' },
      });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    }
    const missing = await fetch(`${server.url}/aws/sso/federation/credentials?role_name=x`, {
      headers: { 'x-amz-sso_bearer_token': 'good' },
    });
    expect(missing.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
  });
});

describe('sts', () => {
  test('GetCallerIdentity and AssumeRoleWithWebIdentity parse', async () => {
    expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({
      UserId: 'ps-1:alice',
      Account: '111122223333',
      Arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
    });
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: 'arn:aws:iam::111122223333:role/Dev',
        RoleSessionName: 'alice',
        WebIdentityToken: 'good',
      }),
    );
    expect(assumed.Credentials?.Expiration).toEqual(new Date('2030-01-01T00:00:00.000Z'));
    expect(assumed).toMatchObject({
      SubjectFromWebIdentityToken: 'u1',
      AssumedRoleUser: {
        Arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
        AssumedRoleId: 'ps-1:alice',
      },
      Provider: 'http://x/oidc',
      Audience: 'client',
    });
  });

  test('errors in AWS XML: SDK exceptions, unknown Action, malformed body, SAML not yet', async () => {
    await expect(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: 'arn:aws:iam::1:role/x',
          RoleSessionName: 'ab',
          WebIdentityToken: 'bad',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidIdentityTokenException);
    await expect(
      sts.send(
        new AssumeRoleWithSAMLCommand({ RoleArn: 'a', PrincipalArn: 'b', SAMLAssertion: 'c'.repeat(10) }),
      ),
    ).rejects.toBeInstanceOf(InvalidIdentityTokenException);
    await expect(
      sts.send(
        new AssumeRoleWithSAMLCommand({
          RoleArn: 'a',
          PrincipalArn: 'b',
          SAMLAssertion: Buffer.from('<ok/>').toString('base64'),
          Policy: '{}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'MalformedPolicyDocumentException' });
    const saml = await sts.send(
      new AssumeRoleWithSAMLCommand({
        RoleArn: 'a',
        PrincipalArn: 'b',
        SAMLAssertion: Buffer.from('<ok/>').toString('base64'),
      }),
    );
    expect(saml).toMatchObject({
      Credentials: { AccessKeyId: 'ASIA3', SecretAccessKey: 'sk', SessionToken: 'st' },
      AssumedRoleUser: {
        AssumedRoleId: 'ps-1:alice',
        Arn: 'arn:aws:sts::111122223333:assumed-role/Dev/alice',
      },
      PackedPolicySize: 0,
      Subject: 'opaque',
      SubjectType: 'persistent',
      Issuer: 'http://x/saml/metadata',
      Audience: 'https://signin.aws.amazon.com/saml',
      NameQualifier: 'q=',
    });

    const post = (body: string, type = 'application/x-www-form-urlencoded') =>
      fetch(`${server.url}/aws/sts/`, { method: 'POST', headers: { 'content-type': type }, body });
    const unknown = await post('Action=DeleteEverything&Version=2011-06-15');
    expect(unknown.status).toBe(400);
    const xml = await unknown.text();
    expect(xml).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    expect(xml).toContain('<Type>Sender</Type><Code>InvalidAction</Code>');
    expect(xml).toMatch(/<RequestId>[^<]+<\/RequestId><\/ErrorResponse>/);

    expect(await (await post('Version=2011-06-15')).text()).toContain('<Code>MissingAction</Code>');
    expect(await (await post('{"Action":"GetCallerIdentity"}', 'application/json')).text()).toContain(
      '<Code>InvalidParameterValue</Code>',
    );
    expect(await (await post('Action=GetCallerIdentity&Version=2099-01-01')).text()).toContain(
      '<Code>InvalidAction</Code>',
    );
    expect(await (await post('Action=AssumeRoleWithWebIdentity&RoleArn=x')).text()).toContain(
      '<Code>MissingParameter</Code>',
    );
    const unsigned = await post('Action=GetCallerIdentity&Version=2011-06-15');
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    const bad = await fetch(`${server.url}/aws/sts`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from([0x41, 0x3d, 0xff, 0xfe]),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>MalformedQueryString</Code>');
  });
});
