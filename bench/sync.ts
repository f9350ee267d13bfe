// Directory sync end to end: slapd → LDAP connector → sync engine → store. A full sync of 10,000
// users / 1,000 groups (20 members each), then incremental syncs after 100 changes: in the same
// process (warm, as a running server's scheduler does) and in a fresh one (cold, as `gatehouse sync`
// does). On PGlite (a data folder, as a single node runs it) and on PostgreSQL when one is reachable.
// Run: node bench/sync.ts [--users N] [--groups M] [--backend pglite|postgres]. Each scenario runs in
// a child process of its own, so that its peak RSS is its own.
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createLdapConnector, parseLdapConfig } from '../connectors/ldap/index.ts';
import type { Connector } from '../connectors/types.ts';
import { createLogger } from '../src/log.ts';
import type { Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { openPglite } from '../src/store/pglite.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { syncConnector } from '../src/sync/run.ts';
import type { SyncKind, SyncRun } from '../src/sync/types.ts';
import { createTestDatabase, postgresAvailable } from '../test/support/postgres.ts';
import {
  ADMIN_DN,
  ADMIN_PASSWORD,
  BASE_DN,
  bulkLdif,
  SERVICE_DN,
  SERVICE_PASSWORD,
  startSlapd,
  userDn,
} from '../test/support/slapd.ts';
import { machine, tempDir } from './support.ts';

const run = promisify(execFile);

interface Measured {
  ms: number;
  outcome: string;
  counts: Record<string, number>;
}

interface ChildReport {
  runs: Measured[];
  peakRssMB: number;
  baselineRssMB: number;
}

/** 100 changes: 98 display names, one user disabled, one membership dropped (round `round`). */
async function change(ldapUrl: string, users: number, round: number, undo = false): Promise<void> {
  const pick = (k: number) => userDn(`user${String(((k * 37 + round) % users) + 1).padStart(6, '0')}`);
  const locked = userDn(`user${String(50 + round).padStart(6, '0')}`);
  const member = userDn(`user${String(21 + round).padStart(6, '0')}`);
  let ldif = '';
  if (undo) {
    // Puts back what round `round` disabled and removed (the next backend starts from the same directory).
    ldif += `dn: ${locked}\nchangetype: modify\ndelete: pwdAccountLockedTime\n\n`;
    ldif += `dn: cn=group00001,ou=groups,${BASE_DN}\nchangetype: modify\nadd: member\nmember: ${member}\n\n`;
  } else {
    for (let k = 1; k <= 98; k++)
      ldif += `dn: ${pick(k)}\nchangetype: modify\nreplace: displayName\ndisplayName: Changed ${round}-${k}\n\n`;
    ldif += `dn: ${locked}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n\n`;
    ldif += `dn: cn=group00001,ou=groups,${BASE_DN}\nchangetype: modify\ndelete: member\nmember: ${member}\n\n`;
  }
  const file = join(tempDir(), 'changes.ldif');
  writeFileSync(file, ldif);
  await run('ldapmodify', ['-x', '-H', ldapUrl, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD, '-f', file], {
    env: { ...process.env, LDAPCONF: '/dev/null' },
    maxBuffer: 16 << 20,
  });
}

function connectorFor(ldapUrl: string, caFile: string): Connector {
  return createLdapConnector(
    parseLdapConfig({
      id: 'bench',
      type: 'ldap',
      urls: [ldapUrl],
      bindDN: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      tls: { caFile, startTLS: true },
      dialect: 'openldap',
      pageSize: 1000,
      timeouts: { operation: '60s' },
      userSearch: { baseDN: `ou=people,${BASE_DN}` },
      groupSearch: { baseDN: `ou=groups,${BASE_DN}` },
    }),
  );
}

/** Child mode: the given syncs into the given database, with changes in between (`change:N`). */
async function child(steps: string[], ldapUrl: string, caFile: string, target: string, users: number) {
  const db: Db = target.startsWith('postgres://')
    ? await openPostgres({ url: target, poolSize: 4, connectTimeout: 5_000, statementTimeout: 600_000 })
    : await openPglite(target);
  await migrate(db);
  const connector = connectorFor(ldapUrl, caFile);
  const baseline = process.memoryUsage().rss;
  const runs: Measured[] = [];
  for (const step of steps) {
    if (step.startsWith('change:')) {
      await change(ldapUrl, users, Number(step.slice(7)));
      continue;
    }
    const t0 = performance.now();
    const attempt = await syncConnector({ db, log: createLogger('silent') }, connector, {
      kind: step as SyncKind,
      trigger: 'cli',
    });
    const ms = performance.now() - t0;
    if (!attempt.ran) throw new Error('busy');
    const r: SyncRun = attempt.runs.at(-1)!;
    runs.push({ ms, outcome: r.outcome, counts: { ...r.counts } });
  }
  await connector.close();
  await db.close();
  const report: ChildReport = {
    runs,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    baselineRssMB: baseline / 2 ** 20,
  };
  process.stdout.write(JSON.stringify(report));
}

async function inChild(steps: string[], url: string, caFile: string, target: string, users: number) {
  const { stdout } = await run(
    process.execPath,
    [import.meta.filename, '--child', steps.join(','), url, caFile, target, String(users)],
    { maxBuffer: 16 << 20 },
  );
  return JSON.parse(stdout) as ChildReport;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

const incremental = (m: Measured) =>
  `${m.ms.toFixed(0)} ms (${m.counts['updated']} updated, ${m.counts['disabled']} disabled, ` +
  `${m.counts['membershipsRemoved']} membership removed)`;

async function main(): Promise<void> {
  const users = Number(arg('--users', '10000'));
  const groups = Number(arg('--groups', '1000'));
  const only = arg('--backend', '');
  console.log(`sync benchmark on ${machine()}`);
  const t0 = performance.now();
  const slapd = await startSlapd({ offlineLdif: bulkLdif(users, groups, 20) });
  console.log(
    `slapd with ${users.toLocaleString('en')} users / ${groups.toLocaleString('en')} groups (20 members each) ` +
      `ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  try {
    const targets: { name: string; target: string; cleanup(): Promise<void> }[] = [];
    if (!only || only === 'pglite') {
      const dir = tempDir();
      targets.push({
        name: 'PGlite (data folder)',
        target: dir,
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      });
    }
    if ((!only || only === 'postgres') && (await postgresAvailable())) {
      const database = await createTestDatabase();
      targets.push({ name: 'PostgreSQL (local)', target: database.url, cleanup: () => database.drop() });
    }
    let round = 0;
    for (const { name, target, cleanup } of targets) {
      try {
        round += 2;
        const warm = await inChild(
          ['full', `change:${round}`, 'incremental'],
          slapd.url,
          slapd.caFile,
          target,
          users,
        );
        const [full, inc] = warm.runs as [Measured, Measured];
        if (full.outcome !== 'applied' || full.counts['added'] !== users || inc.outcome !== 'applied')
          throw new Error(`unexpected runs: ${JSON.stringify(warm.runs)}`);
        const c = full.counts;
        console.log(
          `${name}: full sync ${(full.ms / 1000).toFixed(1)} s (${Math.round(users / (full.ms / 1000))} users/s): ` +
            `${c['added']} users, ${c['groupsAdded']} groups, ${c['membershipsAdded']} memberships; ` +
            `peak RSS ${warm.peakRssMB.toFixed(0)} MB (${warm.baselineRssMB.toFixed(0)} MB before the sync)`,
        );
        console.log(`${name}: incremental after 100 changes, warm process: ${incremental(inc)}`);
        const cold = await inChild(
          [`change:${round + 1}`, 'incremental'],
          slapd.url,
          slapd.caFile,
          target,
          users,
        );
        console.log(
          `${name}: incremental after 100 changes, fresh process (as gatehouse sync): ${incremental(cold.runs[0]!)}`,
        );
      } finally {
        await cleanup();
        await change(slapd.url, users, round, true);
        await change(slapd.url, users, round + 1, true);
      }
    }
  } finally {
    await slapd.stop();
  }
}

if (process.argv[2] === '--child') {
  const [, , , steps, url, caFile, target, users] = process.argv;
  await child(steps!.split(','), url!, caFile!, target!, Number(users));
} else {
  await main();
}
