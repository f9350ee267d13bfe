// Directory figures: effective-group resolution for a user in a 10,000-group directory with nesting
// 5 deep, and one page (100) of the user list in a 100,000-user directory. Both backends when
// PostgreSQL is reachable. Run: node bench/directory.ts
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { effectiveGroups } from '../src/directory/members.ts';
import { listUsers } from '../src/directory/users.ts';
import type { Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { openPglite } from '../src/store/pglite.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { machine, table } from './support.ts';

const ADMIN = process.env['GATEHOUSE_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** 10,000 groups in chains of 5 (g1 ⊂ g2 ⊂ … ⊂ g5), 100,000 users each in 3 groups. Bulk SQL: setup is not what we measure. */
async function seed(db: Db): Promise<string> {
  await db.exec(`
    insert into groups (name) select 'g' || i from generate_series(1, 10000) i;
    insert into group_members (group_id, member_group_id)
      select p.id, c.id from groups c join groups p on p.name = 'g' || (substr(c.name, 2)::int + 1)
      where substr(c.name, 2)::int % 5 <> 0;
    insert into users (user_name, display_name, emails)
      select 'user' || lpad(i::text, 6, '0'), 'User ' || i, jsonb_build_array(jsonb_build_object('value', 'user' || i || '@example.com'))
      from generate_series(1, 100000) i;
    insert into group_members (group_id, member_user_id)
      select g.id, u.id from (select id, row_number() over (order by id) n from users) u
      cross join generate_series(0, 2) k
      join groups g on g.name = 'g' || ((u.n * 7 + k * 1667) % 10000 + 1)
      on conflict do nothing;
    analyze;
  `);
  const { rows } = await db.query<{ id: string }>(
    `select u.id from users u join group_members gm on gm.member_user_id = u.id join groups g on g.id = gm.group_id
     where substr(g.name, 2)::int % 5 = 1 limit 1`,
  );
  return rows[0]!.id;
}

async function time(
  fn: () => Promise<unknown>,
  runs: number,
): Promise<{ p50: number; p99: number; perSecond: number }> {
  for (let i = 0; i < 20; i++) await fn();
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  const total = performance.now() - started;
  samples.sort((a, b) => a - b);
  return {
    p50: samples[Math.floor(runs * 0.5)]!,
    p99: samples[Math.floor(runs * 0.99)]!,
    perSecond: (runs / total) * 1000,
  };
}

async function measure(name: string, db: Db): Promise<(string | number)[][]> {
  await migrate(db);
  const seeded = performance.now();
  const userId = await seed(db);
  const seedMs = performance.now() - seeded;
  const groups = await effectiveGroups(db, userId);
  const effective = await time(() => effectiveGroups(db, userId), 500);
  const firstPage = await time(() => listUsers(db, { limit: 100 }), 200);
  const middle = (
    await listUsers(db, {
      limit: 100,
      after: { name: 'user050000', id: '00000000-0000-0000-0000-000000000000' },
    })
  ).users;
  const deepPage = await time(
    () =>
      listUsers(db, {
        limit: 100,
        after: { name: 'user050000', id: '00000000-0000-0000-0000-000000000000' },
      }),
    200,
  );
  const search = await time(() => listUsers(db, { limit: 100, search: 'user0999' }), 200);
  const fmt = (r: { p50: number; p99: number; perSecond: number }) => [
    `${r.p50.toFixed(2)} ms`,
    `${r.p99.toFixed(2)} ms`,
    r.perSecond.toFixed(0),
  ];
  return [
    [
      `${name}: effective groups (${groups.length} groups, depth ≤ ${Math.max(...groups.map((g) => g.depth))})`,
      ...fmt(effective),
    ],
    [`${name}: list users, first page of 100`, ...fmt(firstPage)],
    [`${name}: list users, page of 100 at row 50,000 (${middle.length} rows)`, ...fmt(deepPage)],
    [`${name}: list users, search prefix`, ...fmt(search)],
    [`${name}: seeding 100k users / 10k groups (bulk SQL)`, `${(seedMs / 1000).toFixed(1)} s`, '', ''],
  ];
}

console.log(`# directory\nmachine: ${machine()}\n`);
const rows: (string | number)[][] = [['measure', 'p50', 'p99', 'per second']];
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
