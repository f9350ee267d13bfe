// SCIM over HTTP against a real `gatehouse serve`: users created per second (POST /scim/v2/Users,
// several senders at once), and a PATCH adding 1,000 members to a group of 50,000 (plus reading
// that group with and without its members). PGlite, and PostgreSQL when one is reachable.
// Run: node bench/scim.ts [--users N] [--concurrency C]
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { createScimToken } from '../src/scim/tokens.ts';
import { migrate } from '../src/store/migrate.ts';
import { openDb } from '../src/store/open.ts';
import { createTestDatabase, postgresAvailable } from '../test/support/postgres.ts';
import { freePort, machine, startGatehouse, table, tempDir } from './support.ts';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '8' } },
});
const USERS = Number(values.users);
const CONCURRENCY = Number(values.concurrency);
const GROUP_SIZE = 50_000;
const ADDED = 1_000;
const PATCH_RUNS = 5;

/** Seeds (before the server starts: PGlite serves one process) a group of 50,000 SCIM users and spare users to add. */
async function seed(
  env: Record<string, string>,
): Promise<{ token: string; groupId: string; spare: string[] }> {
  const db = await openDb(loadConfig({ env, cwd: tempDir() }));
  try {
    await migrate(db);
    await db.exec(`
      insert into users (user_name, source, external_id)
        select 'member-' || i, 'scim', 'x-' || i from generate_series(1, ${GROUP_SIZE + ADDED * PATCH_RUNS}) i;
      insert into groups (name, source) values ('big', 'scim');
      insert into group_members (group_id, member_user_id)
        select g.id, u.id from groups g, users u
        where g.name = 'big' and u.user_name like 'member-%' and substr(u.user_name, 8)::int <= ${GROUP_SIZE};
      analyze;`);
    const { rows } = await db.query<{ id: string }>(
      `select id from users where user_name like 'member-%' and substr(user_name, 8)::int > ${GROUP_SIZE}
       order by substr(user_name, 8)::int`,
    );
    const group = await db.query<{ id: string }>(`select id from groups where name = 'big'`);
    const token = await db.transaction((tx) => createScimToken(tx, { actor: 'bench' }, { name: 'bench' }));
    return { token: token.token, groupId: group.rows[0]!.id, spare: rows.map((r) => r.id) };
  } finally {
    await db.close();
  }
}

async function measure(name: string, env: Record<string, string>): Promise<(string | number)[][]> {
  const seeded = await seed(env);
  const port = await freePort();
  // Rate limit off for the benchmark: it measures the server, not the limiter.
  const server = await startGatehouse(
    {
      ...env,
      GATEHOUSE_SCIM_RATE_LIMIT: '100000',
      GATEHOUSE_SCIM_RATE_BURST: '100000',
      GATEHOUSE_LOG_LEVEL: 'warn',
    },
    port,
  );
  const base = `http://127.0.0.1:${port}/scim/v2`;
  const headers = { authorization: `Bearer ${seeded.token}`, 'content-type': 'application/scim+json' };
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (response.status >= 300)
      throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
    return text;
  };
  try {
    // Warm-up, then users created per second by CONCURRENCY senders.
    for (let i = 0; i < 50; i++) await call('POST', '/Users', { userName: `warm-${i}` });
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < USERS) {
          const i = next++;
          await call('POST', '/Users', {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: `bench-${i}@example.com`,
            externalId: `hr-${i}`,
            name: { givenName: 'Bench', familyName: `User ${i}` },
            emails: [{ value: `bench-${i}@example.com`, type: 'work', primary: true }],
            active: true,
          });
        }
      }),
    );
    const perSecond = (USERS / (performance.now() - started)) * 1000;

    const patchMs: number[] = [];
    for (let run = 0; run < PATCH_RUNS; run++) {
      const value = seeded.spare.slice(run * ADDED, (run + 1) * ADDED).map((id) => ({ value: id }));
      const t = performance.now();
      await call('PATCH', `/Groups/${seeded.groupId}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value }],
      });
      patchMs.push(performance.now() - t);
    }
    patchMs.sort((a, b) => a - b);
    let t = performance.now();
    await call('GET', `/Groups/${seeded.groupId}?excludedAttributes=members`);
    const lean = performance.now() - t;
    t = performance.now();
    const full = await call('GET', `/Groups/${seeded.groupId}`);
    const fullMs = performance.now() - t;
    return [
      [
        name,
        'users created per second (POST /Users)',
        `${perSecond.toFixed(0)}/s (${USERS} users, ${CONCURRENCY} senders)`,
      ],
      [
        name,
        `PATCH add ${ADDED} members to a group of ${GROUP_SIZE}`,
        `median ${patchMs[Math.floor(PATCH_RUNS / 2)]!.toFixed(0)} ms (min ${patchMs[0]!.toFixed(0)}, max ${patchMs.at(-1)!.toFixed(0)})`,
      ],
      [name, 'GET the group, excludedAttributes=members', `${lean.toFixed(0)} ms`],
      [
        name,
        `GET the group with its ${GROUP_SIZE + ADDED * PATCH_RUNS} members`,
        `${fullMs.toFixed(0)} ms, ${(full.length / 2 ** 20).toFixed(1)} MiB`,
      ],
    ];
  } finally {
    await server.stop();
  }
}

const rows: (string | number)[][] = [['backend', 'what', 'figure']];
rows.push(...(await measure('pglite', { GATEHOUSE_DATA_DIR: tempDir() })));
if (await postgresAvailable()) {
  const database = await createTestDatabase();
  try {
    rows.push(...(await measure('postgres', { GATEHOUSE_DATA_DIR: tempDir(), DATABASE_URL: database.url })));
  } finally {
    await database.drop();
  }
}
console.log(`SCIM over HTTP — ${machine()}`);
console.log(table(rows));
