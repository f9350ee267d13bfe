// OpenID provider throughput: client-credentials grants/s and refresh grants/s (ES256 and RS256),
// and full authorization code + PKCE round trips/s for a signed-in browser (the password hash is
// paid once, at sign-in, and excluded). Compared with Keycloak's sizing guide: 120 client
// credential grants/s and 120 refreshes/s per vCPU.
// Run: node bench/oidc.ts [--backend pglite|postgres] [--only client-credentials|refresh|code]
//   [--alg ES256|RS256]
//   [--server-node-options '--cpu-prof --cpu-prof-dir=DIR'] (Node flags of the server process only)

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { hashPassword } from '../src/auth/password-hash.ts';
import { createTestDatabase, postgresAvailable } from '../test/support/postgres.ts';
import { CookieJar, signIn } from '../test/support/signin.ts';
import { freePort, machine, ROOT, startGatehouse, table, tempDir } from './support.ts';

const SECONDS = 8;
const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Throughput, and the same work per CPU-second of the server process (what one core sustains). */
interface Rate {
  perSecond: number;
  perCpuSecond: number;
}
const show = (rate: Rate) => `${rate.perSecond.toFixed(0)} (${rate.perCpuSecond.toFixed(0)} per CPU-s)`;
let serverPid = 0;
async function measured(work: () => Promise<{ count: number; seconds: number }>): Promise<Rate> {
  const cpuBefore = cpuSeconds(serverPid);
  const { count, seconds } = await work();
  const cpu = cpuSeconds(serverPid) - cpuBefore;
  return { perSecond: count / seconds, perCpuSecond: count / cpu };
}
const CONNECTIONS = 32;
const PASSWORD = 'bench horse battery staple';
const argv = process.argv.slice(2);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const only = option('--backend');
const measure = option('--only');
const serverNodeOptions = option('--server-node-options');
const onlyAlg = option('--alg');
const wanted = (name: string) => measure === undefined || measure === name;

console.log(`# OpenID provider\nmachine: ${machine()}\n`);

const rows: (string | number)[][] = [['measure', 'pglite', 'postgres']];
const results: Record<string, Record<string, string>> = {};

for (const backend of ['pglite', 'postgres'] as const) {
  if (only && only !== backend) continue;
  if (backend === 'postgres' && !(await postgresAvailable())) continue;
  const database = backend === 'postgres' ? await createTestDatabase() : undefined;
  try {
    results[backend] = await run(database?.url);
  } finally {
    await database?.drop();
  }
}
// The same load generator against a bare node:http server that answers `{}`: how much of this
// shared machine's CPU a trivial request costs in this run (figures scale with it).
rows.push(['bare node:http baseline req/s', show(await bareBaseline()), '']);
const measures = [...new Set(Object.values(results).flatMap((r) => Object.keys(r)))];
for (const m of measures) rows.push([m, results['pglite']?.[m] ?? '—', results['postgres']?.[m] ?? '—']);
console.log(table(rows));
console.log(
  `\nKeycloak sizing guide: 120 client-credential grants/s and 120 refreshes/s per vCPU (this machine: 2 vCPU, shared with the load generator). Target: ≥ 2,000 client-credential grants/s per core with ES256.`,
);

async function run(databaseUrl: string | undefined): Promise<Record<string, string>> {
  const dataDir = tempDir();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_URL: url,
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const serverEnv = serverNodeOptions ? { ...env, NODE_OPTIONS: serverNodeOptions } : env;
  // Clients and a user through `gatehouse apply`, before the server holds the database.
  const secret = randomBytes(32).toString('base64url');
  const dir = tempDir();
  writeFileSync(join(dir, 'bot.secret'), secret);
  writeFileSync(
    join(dir, 'state.yaml'),
    `
users:
  - { userName: bench, passwordHash: "${await hashPassword(PASSWORD)}" }
clients:
  - { clientId: bot-es, name: ES256 bot, clientSecretFile: ./bot.secret, grantTypes: [client_credentials], scopes: ["directory:read"] }
  - { clientId: bot-rs, name: RS256 bot, idTokenAlg: RS256, clientSecretFile: ./bot.secret, grantTypes: [client_credentials], scopes: ["directory:read"] }
  - { clientId: app-es, name: ES256 app, public: true, firstParty: true, redirectUris: ["http://127.0.0.1:9/cb"], scopes: [openid, profile] }
  - { clientId: app-rs, name: RS256 app, public: true, firstParty: true, idTokenAlg: RS256, redirectUris: ["http://127.0.0.1:9/cb"], scopes: [openid, profile] }
`,
  );
  const applied = spawnSync(
    process.execPath,
    [join(ROOT, 'src/main.ts'), 'apply', '-f', join(dir, 'state.yaml')],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  if (applied.status !== 0) throw new Error(`apply failed: ${applied.stderr}`);
  const server = await startGatehouse(serverEnv, port);
  serverPid = server.child.pid!;
  try {
    const { jar } = await signIn({ baseUrl: url, userName: 'bench', password: PASSWORD });
    const out: Record<string, string> = {};
    for (const [alg, suffix] of [
      ['ES256', 'es'],
      ['RS256', 'rs'],
    ] as const) {
      if (onlyAlg && onlyAlg !== alg) continue;
      if (wanted('client-credentials'))
        out[`client-credentials grants/s, ${alg} JWT`] = show(
          await clientCredentials(url, `bot-${suffix}`, secret),
        );
      if (wanted('refresh'))
        out[`refresh grants/s, ${alg} ID token`] = show(await refreshes(url, jar, `app-${suffix}`));
    }
    if (wanted('code'))
      out['code + PKCE round trips/s (signed in, ES256)'] = show(await codeRoundTrips(url, jar, 'app-es'));
    return out;
  } finally {
    await server.stop();
  }
}

async function bareBaseline(): Promise<Rate> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('{}')); }).listen(${port}, '127.0.0.1')`,
    ],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 300));
  serverPid = child.pid!;
  const options = {
    url: `http://127.0.0.1:${port}/`,
    method: 'POST' as const,
    body: 'x',
    connections: CONNECTIONS,
  };
  await autocannon({ ...options, duration: 2 });
  const rate = await measured(async () => {
    const result = await autocannon({ ...options, duration: SECONDS });
    return { count: result.requests.total, seconds: result.duration };
  });
  child.kill();
  return rate;
}

/** A browser per loop, each with the signed-in session (the provider's per-flow cookies must not mix). */
function browsers(jar: CookieJar): CookieJar[] {
  return Array.from({ length: CONNECTIONS }, () => {
    const copy = new CookieJar();
    for (const [name, value] of jar.cookies) copy.cookies.set(name, value);
    return copy;
  });
}

async function clientCredentials(url: string, clientId: string, secret: string): Promise<Rate> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    scope: 'directory:read',
    resource: `${url}/api`,
  }).toString();
  const options = {
    url: `${url}/oidc/token`,
    method: 'POST' as const,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body,
    connections: CONNECTIONS,
    pipelining: 1,
  };
  await autocannon({ ...options, duration: 2 });
  return measured(async () => {
    const result = await autocannon({ ...options, duration: SECONDS });
    if (result.non2xx || result.errors)
      throw new Error(`client credentials: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return { count: result.requests.total, seconds: result.duration };
  });
}

/** One authorization code + PKCE round trip of a signed-in browser: auth, interaction, callback, token. */
async function codeFlow(url: string, jar: CookieJar, clientId: string): Promise<{ refresh_token: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  let location = `${url}/oidc/auth?${new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: 'http://127.0.0.1:9/cb',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })}`;
  for (let hops = 0; !location.startsWith('http://127.0.0.1:9/'); hops++) {
    if (hops > 6) throw new Error(`no code after ${hops} hops (${location})`);
    const response = await jar.fetch(location);
    await response.arrayBuffer();
    location = new URL(response.headers.get('location') ?? '', location).href;
  }
  const code = new URL(location).searchParams.get('code')!;
  const token = await fetch(`${url}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: 'http://127.0.0.1:9/cb',
      client_id: clientId,
    }),
  });
  const tokens = (await token.json()) as { refresh_token?: string; error?: string };
  if (!tokens.refresh_token) throw new Error(`token endpoint: ${JSON.stringify(tokens)}`);
  return { refresh_token: tokens.refresh_token };
}

/** Runs `step` in `CONNECTIONS` concurrent loops for `seconds`; returns completions and the time taken. */
async function loops(
  seconds: number,
  step: (worker: number) => Promise<void>,
): Promise<{ count: number; seconds: number }> {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, worker) => {
      while (performance.now() < until) {
        await step(worker);
        done++;
      }
    }),
  );
  return { count: done, seconds: (performance.now() - started) / 1000 };
}

async function refreshes(url: string, jar: CookieJar, clientId: string): Promise<Rate> {
  // Each refresh rotates: every loop follows its own chain of refresh tokens.
  const chains = await Promise.all(browsers(jar).map((browser) => codeFlow(url, browser, clientId)));
  const current = chains.map((c) => c.refresh_token);
  const step = async (worker: number) => {
    const response = await fetch(`${url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: current[worker]!,
        client_id: clientId,
      }),
    });
    const tokens = (await response.json()) as { refresh_token?: string; id_token?: string };
    if (!tokens.refresh_token || !tokens.id_token)
      throw new Error(`refresh: ${response.status} ${JSON.stringify(tokens)}`);
    current[worker] = tokens.refresh_token;
  };
  await loops(2, step);
  return measured(() => loops(SECONDS, step));
}

async function codeRoundTrips(url: string, jar: CookieJar, clientId: string): Promise<Rate> {
  const jars = browsers(jar);
  const step = async (worker: number) => {
    await codeFlow(url, jars[worker]!, clientId);
  };
  await loops(2, step);
  return measured(() => loops(SECONDS, step));
}
