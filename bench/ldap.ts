// LDAP connector benchmarks against throwaway slapd servers: full enumeration (10k/1k and
// 100k/10k users/groups), incremental sync after 100 changes, sign-ins per second.
// Run: node bench/ldap.ts [--quick]. Each enumeration runs in a fresh child process so its peak
// RSS is its own.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createLdapConnector, parseLdapConfig } from '../connectors/ldap/index.ts';
import type { Connector } from '../connectors/types.ts';
import {
  BASE_DN,
  bulkLdif,
  SERVICE_DN,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
  userDn,
} from '../test/support/slapd.ts';

const run = promisify(execFile);

function connectorFor(url: string, caFile: string): Connector {
  return createLdapConnector(
    parseLdapConfig({
      id: 'bench',
      type: 'ldap',
      urls: [url],
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

/** Child mode: enumerate through the connector, count only, report time and peak RSS. */
async function child(mode: string, url: string, caFile: string, mark?: string): Promise<void> {
  const c = connectorFor(url, caFile);
  const baseline = process.memoryUsage().rss;
  const t0 = performance.now();
  let users = 0;
  let groups = 0;
  let members = 0;
  let end: unknown;
  const items = mode === 'full' ? c.fullSync!.fullSync() : c.incrementalSync!.changesSince(mark!);
  for await (const item of items) {
    if (item.kind === 'users') users += item.users.length;
    else if (item.kind === 'groups') {
      groups += item.groups.length;
      for (const g of item.groups) members += g.members.length + g.memberGroups.length;
    } else end = item;
  }
  const ms = performance.now() - t0;
  await c.close();
  const out = {
    ms,
    users,
    groups,
    members,
    end,
    baselineRssMB: baseline / 2 ** 20,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(out));
}

async function enumerate(s: Slapd, mode: 'full' | 'incremental', mark?: string) {
  const args = [import.meta.filename, '--child', mode, s.url, s.caFile, ...(mark ? [mark] : [])];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as {
    ms: number;
    users: number;
    groups: number;
    members: number;
    end: { complete: boolean; highWaterMark?: string };
    baselineRssMB: number;
    peakRssMB: number;
  };
}

async function signIns(s: Slapd, users: number, seconds: number, concurrency: number): Promise<number> {
  const c = connectorFor(s.url, s.caFile);
  const deadline = performance.now() + seconds * 1000;
  let ok = 0;
  let failed = 0;
  let i = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const n = (i++ % users) + 1;
      const r = await c.password!.login(`user${String(n).padStart(6, '0')}`, 'bench-password');
      if (r.ok) ok++;
      else failed++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  await c.close();
  if (failed) throw new Error(`${failed} sign-ins failed`);
  return ok / elapsed;
}

async function scenario(users: number, groups: number, extras: boolean): Promise<void> {
  const t0 = performance.now();
  const s = await startSlapd({ offlineLdif: bulkLdif(users, groups, 20) });
  const startMs = performance.now() - t0;
  try {
    const full = await enumerate(s, 'full');
    if (!full.end.complete || full.users !== users || full.groups !== groups)
      throw new Error(`bad full sync: ${JSON.stringify(full)}`);
    console.log(
      `full sync ${users.toLocaleString('en')} users / ${groups.toLocaleString('en')} groups: ${(full.ms / 1000).toFixed(2)} s ` +
        `(${Math.round(users / (full.ms / 1000)).toLocaleString('en')} users/s), ${full.members.toLocaleString('en')} memberships, ` +
        `peak RSS ${full.peakRssMB.toFixed(0)} MB (baseline ${full.baselineRssMB.toFixed(0)} MB); slapd start+slapadd ${(startMs / 1000).toFixed(1)} s`,
    );
    if (!extras) return;
    // 100 changes, then an incremental sync from the full sync's mark.
    let ldif = '';
    for (let k = 1; k <= 100; k++) {
      ldif += `dn: ${userDn(`user${String(k * 37).padStart(6, '0')}`)}\nchangetype: modify\nreplace: displayName\ndisplayName: Changed ${k}\n\n`;
    }
    await s.modify(ldif);
    const inc = await enumerate(s, 'incremental', full.end.highWaterMark);
    if (!inc.end.complete || inc.users < 100) throw new Error(`bad incremental sync: ${JSON.stringify(inc)}`);
    console.log(
      `incremental after 100 changes: ${inc.ms.toFixed(0)} ms, ${inc.users} users, ${inc.groups} groups delivered`,
    );
    for (const concurrency of [1, 8, 32]) {
      const rate = await signIns(s, users, 5, concurrency);
      console.log(
        `sign-ins (lookup + bind + status + nested groups), concurrency ${concurrency}: ${rate.toFixed(0)}/s`,
      );
    }
  } finally {
    await s.stop();
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!, process.argv[5]!, process.argv[6]);
} else {
  console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
  await scenario(10_000, 1_000, true);
  if (!process.argv.includes('--quick')) await scenario(100_000, 10_000, false);
}
