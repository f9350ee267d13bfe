// AWS-compatible endpoints over HTTP: GetRoleCredentials (/aws/sso/federation/credentials: bearer
// check, effective access, credential minting, audit row) and GetCallerIdentity (/aws/sts: SigV4
// verification, revocation check) per second, against `gatehouse serve` on PostgreSQL.
// Run: node bench/aws.ts
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import autocannon from 'autocannon';
import { createAccount } from '../src/access/accounts.ts';
import { createAssignment } from '../src/access/assignments.ts';
import { createPermissionSet } from '../src/access/permission-sets.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { approveDevice } from '../test/providers/aws/support.ts';
import { createTestDatabase, postgresAvailable } from '../test/support/postgres.ts';
import { createPasswordUser, signIn } from '../test/support/signin.ts';
import { freePort, machine, startGatehouse, table, tempDir } from './support.ts';

console.log(`# AWS-compatible endpoints over HTTP\nmachine: ${machine()}\n`);
if (!(await postgresAvailable())) {
  console.log('PostgreSQL unavailable: skipped');
  process.exit(0);
}

const database = await createTestDatabase();
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const env = {
  DATABASE_URL: database.url,
  GATEHOUSE_URL: url,
  GATEHOUSE_DATA_DIR: tempDir(),
  GATEHOUSE_LOG_LEVEL: 'warn',
};
const server = await startGatehouse(env, port);
const PASSWORD = 'correct horse battery staple 42';
try {
  const db = await openPostgres({
    url: database.url,
    poolSize: 2,
    connectTimeout: 5_000,
    statementTimeout: 30_000,
  });
  const admin = { actor: 'bench' };
  const alice = await createPasswordUser(db, 'alice', PASSWORD);
  await db.transaction(async (tx) => {
    const account = await createAccount(tx, admin, { id: '111122223333', name: 'production' });
    const set = await createPermissionSet(tx, admin, { name: 'Developer', sessionDuration: 'PT1H' });
    await createAssignment(tx, admin, { accountId: account.id, permissionSetId: set.id, userId: alice.id });
  });
  await db.close();

  // A device login through /aws/sso-oidc, approved on the pages.
  const { jar } = await signIn({ baseUrl: url, userName: 'alice', password: PASSWORD });
  const post = async (path: string, body: unknown) =>
    (await fetch(`${url}/aws/sso-oidc${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.json())) as Record<string, string & number>;
  const client = await post('/client/register', { clientName: 'bench', clientType: 'public' });
  const pair = { clientId: client['clientId'], clientSecret: client['clientSecret'] };
  const device = await post('/device_authorization', { ...pair, startUrl: `${url}/start` });
  await approveDevice(jar, device['verificationUri'], device['userCode']);
  const token = await post('/token', {
    ...pair,
    grantType: 'urn:ietf:params:oauth:grant-type:device_code',
    deviceCode: device['deviceCode'],
  });
  const bearer = { 'x-amz-sso_bearer_token': token['accessToken'] };
  const credentialsUrl = `${url}/aws/sso/federation/credentials?account_id=111122223333&role_name=Developer`;
  const { roleCredentials } = (await fetch(credentialsUrl, { headers: bearer }).then((r) => r.json())) as {
    roleCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  };

  // One GetCallerIdentity signed by the SDK's signer; valid for the 15-minute skew window.
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const signer = new SignatureV4({
    credentials: roleCredentials,
    region: 'us-east-1',
    service: 'sts',
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: '/aws/sts',
    headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const check = await fetch(`${url}/aws/sts`, { method: 'POST', headers: signed.headers, body });
  if (check.status !== 200)
    throw new Error(`GetCallerIdentity answered ${check.status}: ${await check.text()}`);

  const run = async (options: autocannon.Options) => {
    const result = await autocannon({ connections: 20, duration: 8, pipelining: 1, ...options });
    if (result.non2xx || result.errors)
      throw new Error(`${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return result;
  };
  await run({ url: credentialsUrl, headers: bearer, duration: 2 });
  const credentials = await run({ url: credentialsUrl, headers: bearer });
  await run({ url: `${url}/aws/sts`, method: 'POST', headers: signed.headers, body, duration: 2 });
  const caller = await run({ url: `${url}/aws/sts`, method: 'POST', headers: signed.headers, body });
  console.log(
    table([
      ['measure (PostgreSQL, 20 connections, 8 s)', 'req/s', 'p99 latency'],
      [
        'GetRoleCredentials (/aws/sso/federation/credentials)',
        credentials.requests.average.toFixed(0),
        `${credentials.latency.p99} ms`,
      ],
      [
        'GetCallerIdentity, SigV4-verified (/aws/sts)',
        caller.requests.average.toFixed(0),
        `${caller.latency.p99} ms`,
      ],
    ]),
  );
} finally {
  await server.stop();
  await database.drop();
}
