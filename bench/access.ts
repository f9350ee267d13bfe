// Credentials: (a) SigV4 verify + revocation check + policy decision in process, one core;
// (b) POST /api/v1/authorize over HTTP against bare node:http servers in the same run: one that makes
//     the same decision with the same verifier (what the route adds), one that echoes the body (what
//     the decision itself costs over HTTP);
// (c) credentials issued per second (PGlite, each issue audited). Run: node bench/access.ts

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { createAccount } from '../src/access/accounts.ts';
import { createAssignment } from '../src/access/assignments.ts';
import { createPermissionSet } from '../src/access/permission-sets.ts';
import { loadConfig } from '../src/config/load.ts';
import {
  createSigningKeyCache,
  type SigV4Request,
  signSigV4,
  verifySigV4,
} from '../src/credentials/sigv4.ts';
import { createAccessVerifier } from '../src/credentials/verifier.ts';
import { createUser } from '../src/directory/users.ts';
import { createLogger } from '../src/log.ts';
import { createRevocationState } from '../src/revocation/state.ts';
import { startRuntime } from '../src/runtime.ts';
import { createToken } from '../src/tokens/tokens.ts';
import { benchCredential, freePort, machine, startGatehouse, table, tempDir } from './support.ts';

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
function inProcess() {
  const { keys, minted, entry, now } = benchCredential(POLICY, { team: 'blue', costCenter: '4711' });
  // The real revocation set with a few thousand entries, as a busy node would hold.
  const revocation = createRevocationState({ staleAfter: 60_000, window: 13 * 3_600_000 });
  for (let i = 0; i < 5000; i++) revocation.apply({ kind: 'user', userId: `user-${i}`, notBefore: now });
  revocation.reconciled();
  const verifier = createAccessVerifier({ keys, revocation, permissionSets: { get: () => entry } });
  const keyCache = createSigningKeyCache();
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
  // The same request through SigV4 verification alone (a plain secret lookup), measured alternately
  // in the same run: on a shared machine the ratio says more than either figure.
  const record = { secretAccessKey: minted.secretAccessKey, securityToken: minted.sessionToken };
  const sigv4Only = () => {
    if (!verifySigV4(request, (id) => (id === minted.accessKeyId ? record : undefined), { keyCache }).ok)
      throw new Error('SigV4 verification failed');
  };
  // Per wall-clock second and per CPU second of this process: on a shared machine the process is
  // not always running, and the CPU-time rate is the nearer one to "per core".
  const measure = (fn: () => void, seconds: number) => {
    let n = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    while (performance.now() - start < seconds * 1000) {
      for (let i = 0; i < 500; i++) fn();
      n += 500;
    }
    const used = process.cpuUsage(cpu);
    return { wall: n / ((performance.now() - start) / 1000), cpu: n / ((used.user + used.system) / 1e6) };
  };
  measure(run, 0.5);
  measure(sigv4Only, 0.5);
  const full: { wall: number; cpu: number }[] = [];
  const sigv4: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 5; i++) {
    full.push(measure(run, 1));
    sigv4.push(measure(sigv4Only, 1));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return {
    full: median(full.map((r) => r.wall)),
    sigv4: median(sigv4.map((r) => r.wall)),
    fullCpu: median(full.map((r) => r.cpu)),
    sigv4Cpu: median(sigv4.map((r) => r.cpu)),
    // Each round's ratio, so that a busy spell in one round does not skew it.
    ratio: median(full.map((r, i) => r.cpu / sigv4[i]!.cpu)),
  };
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

// The baseline: a bare node:http server echoing the JSON body back (parse, serialise), so it reads
// and writes about as many bytes as the decision API does (its answer is ~0.7 kB of JSON).
const BARE = `require('node:http').createServer((q, s) => { const c = []; q.on('data', (d) => c.push(d)); q.on('end', () => { const b = JSON.stringify(JSON.parse(Buffer.concat(c).toString())); s.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) }); s.end(b); }); }).listen(Number(process.argv[1]), '127.0.0.1');`;

async function post(url: string, body: string, headers: Record<string, string>, seconds: number) {
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

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const verifyRate = inProcess();
const perSecond = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;
if (process.argv.includes('--in-process')) {
  console.log(
    `verify + revocation + decision: ${perSecond(verifyRate.full)} (${perSecond(verifyRate.fullCpu)} per CPU second); SigV4 alone: ${perSecond(verifyRate.sigv4)} (${perSecond(verifyRate.sigv4Cpu)} per CPU second); ratio ${verifyRate.ratio.toFixed(2)}; load ${loadavg()}`,
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

// Server CPU time (user + system) from /proc: what each request costs the server, whatever else
// the machine is doing. Linux only; NaN elsewhere.
const cpuMs = (pid: number | undefined): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return Number.NaN;
  }
};
const measured = async (url: string, pid: number | undefined, seconds: number) => {
  const before = cpuMs(pid);
  const rps = await post(url, body, headers, seconds);
  return { rps, cpuUs: ((cpuMs(pid) - before) * 1000) / (rps * seconds) };
};
const bareUrl = `http://127.0.0.1:${barePort}/`;
const authorizeUrl = `http://127.0.0.1:${port}/api/v1/authorize`;
const decisionPort = await freePort();
const decisionUrl = `http://127.0.0.1:${decisionPort}/`;
/** The bare decision server (bench/servers/bare-decision.ts) on the same data folder: PGlite lets one process at a time open it. */
const startBareDecision = async () => {
  const child = spawn(
    process.execPath,
    [
      '--liftoff-only',
      new URL('./servers/bare-decision.ts', import.meta.url).pathname,
      dataDir,
      String(decisionPort),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`bare decision server exited with ${code}`)));
  });
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};
await post(bareUrl, body, headers, 2);
await post(authorizeUrl, body, headers, 2);
// Alternating rounds, each ratio from neighbouring runs: the machine's load moves less in between.
// Gatehouse and the bare decision server take turns on the data folder; each is warmed up first.
const rounds: {
  bare: Awaited<ReturnType<typeof measured>>;
  authorize: Awaited<ReturnType<typeof measured>>;
  decision: Awaited<ReturnType<typeof measured>>;
}[] = [];
let gatehouse = server;
for (let i = 0; i < 3; i++) {
  if (i > 0) {
    gatehouse = await startGatehouse({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' }, port);
    await post(authorizeUrl, body, headers, 1);
  }
  const bareRound = await measured(bareUrl, bare.pid, 4);
  const authorizeRound = await measured(authorizeUrl, gatehouse.child.pid, 4);
  await gatehouse.stop();
  const decision = await startBareDecision();
  await post(decisionUrl, body, headers, 1);
  rounds.push({
    bare: bareRound,
    authorize: authorizeRound,
    decision: await measured(decisionUrl, decision.child.pid, 4),
  });
  await decision.stop();
}
const middle = <T>(xs: T[], by: (x: T) => number) => [...xs].sort((a, b) => by(a) - by(b))[1]!;
const byRatio = middle(rounds, (r) => r.authorize.rps / r.bare.rps);
const bareRps = byRatio.bare.rps;
const authorizeRps = byRatio.authorize.rps;
const byDecision = middle(rounds, (r) => r.authorize.rps / r.decision.rps);
bare.kill();

console.log(
  table([
    ['measure', 'value', 'target'],
    [
      'verify + revocation + decision, in process, per CPU second',
      perSecond(verifyRate.fullCpu),
      '≥ 50,000/s',
    ],
    ['the same, per wall-clock second', perSecond(verifyRate.full), ''],
    ['the same request, SigV4 verification alone, per CPU second', perSecond(verifyRate.sigv4Cpu), ''],
    ['ratio full path / SigV4 alone', verifyRate.ratio.toFixed(2), ''],
    ['POST /api/v1/authorize req/s (HTTP, 32 connections)', authorizeRps.toFixed(0), ''],
    ['same body to a bare node:http JSON echo', bareRps.toFixed(0), ''],
    ['ratio authorize / bare echo (median of 3 alternating rounds)', (authorizeRps / bareRps).toFixed(2), ''],
    [
      'bare node:http making the same decision (same verifier and data; bench/servers/bare-decision.ts)',
      byDecision.decision.rps.toFixed(0),
      '',
    ],
    [
      'ratio authorize / bare decision server (median of 3 alternating rounds)',
      (byDecision.authorize.rps / byDecision.decision.rps).toFixed(2),
      '≥ 0.6',
    ],
    [
      'server CPU per request: authorize / bare decision server',
      `${byDecision.authorize.cpuUs.toFixed(0)} µs / ${byDecision.decision.cpuUs.toFixed(0)} µs`,
      '',
    ],
    [
      'server CPU per request: authorize / bare echo',
      `${byRatio.authorize.cpuUs.toFixed(0)} µs / ${byRatio.bare.cpuUs.toFixed(0)} µs`,
      '',
    ],
    ['credentials issued/s (PGlite, audited), 1 at a time', seeded.issued1.toFixed(0), ''],
    ['credentials issued/s, 8 concurrent', seeded.issued8.toFixed(0), ''],
  ]),
);
console.log(`load average at the end: ${loadavg()}`);
