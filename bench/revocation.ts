// Revocation: (a) revoke → deny fan-out across three nodes' revocation sets (RevocationNode, each
// with its own PostgreSQL connections and LISTEN, in one process) over 1,000 revocations, p50/p99;
// (b) credential verification (SigV4 + revocation check + policy) with an empty revocation set vs
// one of 100,000 entries. Needs PostgreSQL (GATEHOUSE_BENCH_DATABASE_URL, default the local one).
// Run: node bench/revocation.ts

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type SigV4Request, signSigV4 } from '../src/credentials/sigv4.ts';
import { createAccessVerifier } from '../src/credentials/verifier.ts';
import { createLogger } from '../src/log.ts';
import { type RevocationNode, startRevocation } from '../src/revocation/node.ts';
import { revokeUserAccess } from '../src/revocation/revoke.ts';
import { createRevocationState } from '../src/revocation/state.ts';
import type { Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { benchCredential, machine, table } from './support.ts';

console.log(`# revocation: fan-out latency, verification with a large set\nmachine: ${machine()}\n`);

const ADMIN_URL =
  process.env['GATEHOUSE_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REVOCATIONS = 1000;
const WINDOW = 13 * 3_600_000;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

// ---- (a) fan-out across three nodes --------------------------------------------------------------
async function fanOut(): Promise<{ p50: number; p99: number; max: number; perNode: number[][] }> {
  const name = `gh_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const open = () =>
    openPostgres({ url: url.toString(), poolSize: 4, connectTimeout: 5_000, statementTimeout: 30_000 });
  const dbs: Db[] = [];
  const nodes: RevocationNode[] = [];
  try {
    const writer = await open();
    dbs.push(writer);
    await migrate(writer);
    const { rows } = await writer.query<{ id: string }>(
      `insert into users (user_name) select 'bench' || g from generate_series(1, $1) g returning id`,
      [REVOCATIONS],
    );
    const ids = rows.map((r) => r.id);
    const log = createLogger('silent');
    for (let i = 0; i < 3; i++) {
      const db = await open();
      dbs.push(db);
      nodes.push(
        await startRevocation(db, { reconcileInterval: 5_000, staleAfter: 30_000, window: WINDOW }, log),
      );
    }
    const latencies: number[] = [];
    const perNode: number[][] = [[], [], []];
    for (const userId of ids) {
      const issuedAt = Date.now() - 1;
      // From the moment the revocation is sent (its commit included) to each node refusing.
      const start = performance.now();
      await writer.transaction((tx) => revokeUserAccess(tx, { actor: 'bench' }, userId, 'bench'));
      const pending = new Set([0, 1, 2]);
      while (pending.size) {
        for (const i of pending) {
          if (nodes[i]!.check({ userId, issuedAt }) === 'user') {
            const ms = performance.now() - start;
            latencies.push(ms);
            perNode[i]!.push(ms);
            pending.delete(i);
          }
        }
        if (pending.size) await new Promise((r) => setImmediate(r));
      }
    }
    latencies.sort((a, b) => a - b);
    for (const l of perNode) l.sort((a, b) => a - b);
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1)!,
      perNode,
    };
  } finally {
    for (const n of nodes) await n.close();
    for (const db of dbs) await db.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

// ---- (b) verification rate vs the size of the revocation set -------------------------------------
const POLICY = {
  Version: '2012-10-17' as const,
  Statement: [{ Effect: 'Allow' as const, Action: ['s3:Get*'], Resource: 'arn:aws:s3:::reports/*' }],
};

function verificationRates(entries: number): { empty: number; full: number } {
  const { keys, minted, entry, now } = benchCredential(POLICY);
  const empty = createRevocationState({ staleAfter: 600_000, window: WINDOW });
  empty.reconciled();
  // A large set as a node holds it: users, sessions and assignments revoked within the window.
  const full = createRevocationState({ staleAfter: 600_000, window: WINDOW });
  for (let i = 0; i < entries; i++) {
    const id = `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
    if (i % 3 === 0) full.apply({ kind: 'user', userId: id, notBefore: now });
    else if (i % 3 === 1) full.apply({ kind: 'session', sessionId: id, until: now + WINDOW });
    else
      full.apply({
        kind: 'assignment',
        userId: id,
        accountId: '111122223333',
        permissionSetId: entry.id,
        notBefore: now,
      });
  }
  full.reconciled();
  if (full.size() !== entries) throw new Error(`set holds ${full.size()} entries, not ${entries}`);
  const request: SigV4Request = (() => {
    const r = {
      method: 'GET',
      path: '/2026/q1.pdf',
      query: 'x-id=GetObject',
      headers: { host: 'reports.s3.eu-west-1.amazonaws.com' } as Record<string, string>,
      body: '',
    };
    const signed = signSigV4(r, {
      credentials: {
        accessKeyId: minted.accessKeyId,
        secretAccessKey: minted.secretAccessKey,
        sessionToken: minted.sessionToken,
      },
      region: 'eu-west-1',
      service: 's3',
      date: new Date(),
    });
    return { ...r, query: signed.query, headers: signed.headers };
  })();
  const input = { action: 's3:GetObject', resource: 'arn:aws:s3:::reports/2026/q1.pdf' };
  const verifierWith = (revocation: typeof empty) =>
    createAccessVerifier({ keys, revocation, permissionSets: { get: () => entry } });
  const rate = (verifier: ReturnType<typeof verifierWith>) => {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < 1000) {
      for (let i = 0; i < 500; i++) {
        const r = verifier.authorize(request, input);
        if (!r.ok || !r.allowed) throw new Error(`unexpected answer ${JSON.stringify(r)}`);
      }
      n += 500;
    }
    return n / ((performance.now() - start) / 1000);
  };
  const a = verifierWith(empty);
  const b = verifierWith(full);
  rate(a);
  rate(b);
  // Interleaved, median of five each: the shared VM's noise hits both alike.
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < 5; i++) {
    ra.push(rate(a));
    rb.push(rate(b));
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[2]!;
  return { empty: median(ra), full: median(rb) };
}

const fan = await fanOut();
const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(
  `(a) revoke → deny on 3 nodes, ${REVOCATIONS} revocations (${REVOCATIONS * 3} node observations)`,
);
console.log(
  table([
    ['node', 'p50', 'p99', 'max'],
    ...fan.perNode.map((l, i) => [
      String.fromCharCode(65 + i),
      ms(percentile(l, 50)),
      ms(percentile(l, 99)),
      ms(l.at(-1)!),
    ]),
    ['all', ms(fan.p50), ms(fan.p99), ms(fan.max)],
  ]),
);
console.log(`target p99 ≤ 200 ms: ${fan.p99 <= 200 ? 'met' : 'MISSED'}\n`);

const rates = verificationRates(100_000);
const ratio = rates.full / rates.empty;
console.log('(b) credential verification (SigV4 + revocation + policy), one core');
console.log(
  table([
    ['revocation set', 'verifications/s'],
    ['empty', Math.round(rates.empty).toLocaleString('en')],
    ['100,000 entries', Math.round(rates.full).toLocaleString('en')],
  ]),
);
console.log(`ratio ${ratio.toFixed(3)}; target within 10 %: ${ratio >= 0.9 ? 'met' : 'MISSED'}`);
