// Sign-in figures: checking a portal session (the work of every signed-in request: hash the token,
// one indexed read joined with the user) among 10,000 live sessions, and checking a TOTP code.
// Both backends when PostgreSQL is reachable. Run: node bench/sessions.ts
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { confirmTotpEnrolment, startTotpEnrolment, verifyTotp } from '../src/auth/mfa/devices.ts';
import { matchTotpStep, totpCode } from '../src/auth/mfa/totp.ts';
import { ensureKeys, openKeyRing } from '../src/keys/keyring.ts';
import { createSession, readSession } from '../src/sessions/sessions.ts';
import type { Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { openPglite } from '../src/store/pglite.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { machine, table } from './support.ts';

const ADMIN = process.env['GATEHOUSE_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const limits = { idle: 3_600_000, absolute: 8 * 3_600_000 };

async function time(fn: (i: number) => Promise<unknown>, runs: number) {
  for (let i = 0; i < 20; i++) await fn(i);
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  const total = performance.now() - started;
  samples.sort((a, b) => a - b);
  return [
    `${samples[Math.floor(runs * 0.5)]!.toFixed(2)} ms`,
    `${samples[Math.floor(runs * 0.99)]!.toFixed(2)} ms`,
    ((runs / total) * 1000).toFixed(0),
  ];
}

async function measure(name: string, db: Db): Promise<(string | number)[][]> {
  await migrate(db);
  // 1,000 users with 10 sessions each (bulk SQL: seeding is not what we measure).
  await db.exec(`
    insert into users (user_name) select 'user' || i from generate_series(1, 1000) i;
    insert into portal_sessions (id, token_hash, user_id, created_at, last_seen_at, auth_time, amr, acr, mfa)
      select gen_random_uuid(), md5(u.id::text || k) || md5(k || u.id::text), u.id, now(), now(), now(),
             '{pwd,otp,mfa}', 'urn:gatehouse:acr:mfa', true
      from users u cross join generate_series(1, 10) k;
    analyze;
  `);
  const { rows } = await db.query<{ id: string }>("select id from users where user_name = 'user500'");
  const userId = rows[0]!.id;
  const { token } = await createSession(
    db,
    { actor: 'bench' },
    { userId, amr: ['pwd', 'otp', 'mfa'] },
    limits,
  );
  const read = await time(() => readSession(db, token, limits), 2000);

  const master = randomBytes(32);
  await ensureKeys(db, master);
  const keys = await openKeyRing(db, master);
  const user = { id: userId, userName: 'user500' };
  const enrolment = await startTotpEnrolment(db, keys, user);
  const t0 = Date.now();
  await db.transaction((tx) =>
    confirmTotpEnrolment(
      tx,
      { actor: 'bench' },
      keys,
      userId,
      enrolment.deviceId,
      totpCode(enrolment.secret, t0),
      t0,
    ),
  );
  // Each check a fresh step (a code is accepted once): unseal, HMAC over 3 steps, conditional update.
  const verify = await time(
    (i) =>
      verifyTotp(db, keys, userId, totpCode(enrolment.secret, t0 + (i + 1) * 30_000), t0 + (i + 1) * 30_000),
    1000,
  );
  return [
    [`${name}: read a session (10k sessions)`, ...read],
    [`${name}: verify a TOTP code (unseal, match, spend)`, ...verify],
  ];
}

console.log(`# sessions\nmachine: ${machine()}\n`);
const rows: (string | number)[][] = [['measure', 'p50', 'p99', 'per second']];
const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const codes = Array.from({ length: 1000 }, (_, i) => totpCode(secret, i * 30_000));
rows.push([
  'TOTP match alone (±1 step, no database)',
  ...(await time(async (i) => matchTotpStep(secret, codes[i % 1000]!, (i % 1000) * 30_000), 20_000)),
]);
const lite = await openPglite(undefined);
rows.push(...(await measure('PGlite', lite)));
await lite.close();

const admin = new pg.Client({ connectionString: ADMIN });
try {
  await admin.connect();
  const name = `gh_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${name}`);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const db = await openPostgres({
    url: url.toString(),
    poolSize: 4,
    connectTimeout: 5000,
    statementTimeout: 600_000,
  });
  rows.push(...(await measure('PostgreSQL', db)));
  await db.close();
  await admin.query(`drop database ${name} with (force)`);
} catch (error) {
  rows.push([`PostgreSQL: skipped (${(error as Error).message})`, '', '', '']);
} finally {
  await admin.end().catch(() => {});
}
console.log(table(rows));
