// Credentials: (a) SigV4 verify + revocation check + policy decision in process, one core;
// (b) POST /api/v1/authorize over HTTP against a bare node:http server in the same run;
// (c) credentials issued per second (PGlite, each issue audited). Run: node bench/access.ts

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { createAccount } from '../src/access/accounts.ts';
import { createAssignment } from '../src/access/assignments.ts';
import { createPermissionSet } from '../src/access/permission-sets.ts';
import { loadConfig } from '../src/config/load.ts';
import { createDerivedKeys, mintCredentials } from '../src/credentials/session-token.ts';
import { type SigV4Request, signSigV4 } from '../src/credentials/sigv4.ts';
import { createAccessVerifier } from '../src/credentials/verifier.ts';
import { createUser } from '../src/directory/users.ts';
import { createLogger } from '../src/log.ts';
import { compilePolicySet } from '../src/policy/index.ts';
import { createRevocationState } from '../src/revocation/state.ts';
import { startRuntime } from '../src/runtime.ts';
import { createToken } from '../src/tokens/tokens.ts';
import { freePort, machine, startGatehouse, table, tempDir } from './support.ts';

console.log(`# access: credential verification, decision API, issuing\nmachine: ${machine()}\n`);

const POLICY = {
  Version: '2012-10-17' as const,
  Statement: [
    {
      Sid: 'Read',
      Effect: 'Allow' as const,
      Action: ['s3:Get*', 's3:List*'],
      Resource: 'arn:aws:s3:::reports/*',
    },
    { Sid: 'NoSecrets', Effect: 'Deny' as const, Action: 's3:*', Resource: 'arn:aws:s3:::reports/secret/*' },
    {
      Sid: 'Team',
      Effect: 'Allow' as const,
      Action: 'dynamodb:Query',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalTag/team': 'blue' } },
    },
  ],
};

function s3Request(credentials: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}): SigV4Request {
  const request = {
    method: 'GET',
    path: '/2026/q1.pdf',
    query: 'x-id=GetObject',
    headers: {
      host: 'reports.s3.eu-west-1.amazonaws.com',
      'user-agent': 'aws-sdk-js/3.700.0 ua/2.1 os/linux lang/js md/nodejs#24',
      'amz-sdk-invocation-id': '3b2f5c1e-8f4a-4c55-9d1e-0a1b2c3d4e5f',
    } as Record<string, string>,
    body: '',
  };
  const signed = signSigV4(request, { credentials, region: 'eu-west-1', service: 's3', date: new Date() });
  return { ...request, query: signed.query, headers: signed.headers };
}

// ---- (a) in process ---------------------------------------------------------------------------
function inProcess(): number {
  const sealing = { kid: 'seal-bench', key: randomBytes(32) };
  const keys = {
    sealingKey: () => sealing,
    sealingKeyById: (kid: string) => (kid === sealing.kid ? sealing : undefined),
  };
  const now = Date.now();
  const minted = mintCredentials(createDerivedKeys(keys), {
    userId: '00000000-0000-4000-8000-000000000001',
    userName: 'alice',
    accountId: '111122223333',
    permissionSetId: '00000000-0000-4000-8000-000000000002',
    permissionSetVersion: 1,
    sessionId: '00000000-0000-4000-8000-000000000003',
    issuedAt: now,
    expiresAt: now + 3600_000,
    mfa: true,
    tags: { team: 'blue', costCenter: '4711' },
  });
  // The real revocation set with a few thousand entries, as a busy node would hold.
  const revocation = createRevocationState({ staleAfter: 60_000, window: 13 * 3_600_000 });
  for (let i = 0; i < 5000; i++) revocation.apply({ kind: 'user', userId: `user-${i}`, notBefore: now });
  revocation.reconciled();
  const entry = {
    id: '00000000-0000-4000-8000-000000000002',
    name: 'Developer',
    version: 1,
    sessionDuration: 'PT1H',
    policies: compilePolicySet({ identity: [{ name: 'Developer', policy: POLICY }] }),
  };
  const verifier = createAccessVerifier({ keys, revocation, permissionSets: { get: () => entry } });
  const request = s3Request({
    accessKeyId: minted.accessKeyId,
    secretAccessKey: minted.secretAccessKey,
    sessionToken: minted.sessionToken,
  });
  const input = {
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::reports/2026/q1.pdf',
    sourceIp: '198.51.100.7',
  };
  const run = () => {
    const r = verifier.authorize(request, input);
    if (!r.ok || !r.allowed) throw new Error(`unexpected answer ${JSON.stringify(r)}`);
  };
  const measure = (seconds: number) => {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      for (let i = 0; i < 500; i++) run();
      n += 500;
    }
    return n / ((performance.now() - start) / 1000);
  };
  measure(0.5);
  return [measure(1), measure(1), measure(1)].sort((a, b) => a - b)[1]!;
}

// ---- (b), (c) with a real data folder -----------------------------------------------------------
async function seed(dataDir: string) {
  const config = loadConfig({ env: { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'silent' } });
  const runtime = await startRuntime(config, createLogger('silent'));
  const actor = { actor: 'bench' };
  const { user, account, set } = await runtime.db.transaction(async (tx) => {
    const user = await createUser(tx, actor, { userName: 'alice', attributes: { team: 'blue' } });
    const account = await createAccount(tx, actor, { id: '111122223333', name: 'production' });
    const set = await createPermissionSet(tx, actor, { name: 'Developer', inlinePolicy: POLICY });
    await createAssignment(tx, actor, { accountId: account.id, permissionSetId: set.id, userId: user.id });
    return { user, account, set };
  });
  const token = (
    await runtime.db.transaction((tx) => createToken(tx, actor, { name: 'bench', scopes: ['authorize'] }))
  ).token;
  const request = { userId: user.id, accountId: account.id, permissionSetId: set.id, mfa: true };
  const issued = await runtime.access.issuer.issue(request, actor);
  // (c): credentials issued per second, one at a time and 8 at a time.
  const issueRate = async (parallel: number) => {
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 3000) {
      await Promise.all(Array.from({ length: parallel }, () => runtime.access.issuer.issue(request, actor)));
      n += parallel;
    }
    return n / ((performance.now() - start) / 1000);
  };
  await issueRate(1);
  const issued1 = await issueRate(1);
  const issued8 = await issueRate(8);
  await runtime.close();
  return { token, issued, issued1, issued8 };
}

const BARE = `require('node:http').createServer((q, s) => { const c = []; q.on('data', (d) => c.push(d)); q.on('end', () => { JSON.parse(Buffer.concat(c).toString()); const b = '{"allowed":true}'; s.writeHead(200, { 'content-type': 'application/json', 'content-length': b.length }); s.end(b); }); }).listen(Number(process.argv[1]), '127.0.0.1');`;

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<number> {
  const result = await autocannon({
    url,
    method: 'POST',
    body,
    headers,
    connections: 32,
    duration: seconds,
    pipelining: 1,
  });
  if (result.non2xx > 0 || result.errors)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

const verifyRate = inProcess();
if (process.argv.includes('--in-process')) {
  console.log(
    `verify + revocation + decision, in process, one core: ${Math.round(verifyRate).toLocaleString('en-US')}/s`,
  );
  process.exit(0);
}

const dataDir = tempDir();
const seeded = await seed(dataDir);
const port = await freePort();
const server = await startGatehouse({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' }, port);
const barePort = await freePort();
const bare = spawn(process.execPath, ['-e', BARE, String(barePort)], { stdio: 'ignore' });
await sleep(300);

const signed = s3Request({
  accessKeyId: seeded.issued.AccessKeyId,
  secretAccessKey: seeded.issued.SecretAccessKey,
  sessionToken: seeded.issued.SessionToken,
});
const body = JSON.stringify({
  request: {
    method: signed.method,
    path: signed.path,
    query: signed.query,
    headers: signed.headers,
    payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::reports/2026/q1.pdf',
  sourceIp: '198.51.100.7',
});
const headers = { 'content-type': 'application/json', authorization: `Bearer ${seeded.token}` };
const check = await fetch(`http://127.0.0.1:${port}/api/v1/authorize`, { method: 'POST', body, headers });
const answer = (await check.json()) as { allowed?: boolean };
if (!answer.allowed) throw new Error(`authorize did not allow: ${JSON.stringify(answer)}`);

await post(`http://127.0.0.1:${barePort}/`, body, headers, 2);
await post(`http://127.0.0.1:${port}/api/v1/authorize`, body, headers, 2);
const bareRps = await post(`http://127.0.0.1:${barePort}/`, body, headers, 8);
const authorizeRps = await post(`http://127.0.0.1:${port}/api/v1/authorize`, body, headers, 8);
bare.kill();
await server.stop();

console.log(
  table([
    ['measure', 'value', 'target'],
    [
      'verify + revocation + decision, in process, one core',
      `${Math.round(verifyRate).toLocaleString('en-US')}/s`,
      '≥ 50,000/s',
    ],
    ['POST /api/v1/authorize req/s (HTTP, 32 connections)', authorizeRps.toFixed(0), ''],
    ['same body to a bare node:http server', bareRps.toFixed(0), ''],
    ['ratio authorize / bare', (authorizeRps / bareRps).toFixed(2), '≥ 0.6'],
    ['credentials issued/s (PGlite, audited), 1 at a time', seeded.issued1.toFixed(0), ''],
    ['credentials issued/s, 8 concurrent', seeded.issued8.toFixed(0), ''],
  ]),
);
