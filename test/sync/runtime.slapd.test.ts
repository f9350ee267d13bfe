// The sync as a running node uses it: the scheduler and its metrics, the cluster lock, the sign-in
// re-check, the CLI; and the engine on PostgreSQL.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { readEvents } from '../../src/directory/events.ts';
import { effectiveGroups } from '../../src/directory/members.ts';
import { createUser, getUser } from '../../src/directory/users.ts';
import { createLogger } from '../../src/log.ts';
import { serve } from '../../src/server.ts';
import { checkDirectoryUser } from '../../src/sync/check.ts';
import { confirmSync, syncConnector } from '../../src/sync/run.ts';
import { startSyncScheduler } from '../../src/sync/scheduler.ts';
import { lastRuns } from '../../src/sync/state.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { runGatehouse } from '../support/server.ts';
import { freePorts, SERVICE_DN, SERVICE_PASSWORD } from '../support/slapd.ts';
import {
  deleteLdif,
  lockLdif,
  replaceLdif,
  type Scenario,
  statusCounts,
  unlockLdif,
  useSlapdScenarios,
} from './helpers.ts';

const ldap = useSlapdScenarios();
const make = ldap.make;

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const silent = createLogger('silent');

describe.each(backends)('on $name', (backend) => {
  const t = useDb(backend);

  test('only one of two concurrent syncs of a connector runs', async () => {
    const s = await make(`lock${backend.name}`);
    const [a, b] = await Promise.all([
      syncConnector({ db: t.db }, s.connector, { kind: 'full', trigger: 'cli' }),
      syncConnector({ db: t.db }, s.connector, { kind: 'full', trigger: 'cli' }),
    ]);
    expect([a.ran, b.ran].sort()).toEqual([false, true]);
    expect([a, b].find((x) => !x.ran)).toEqual({ ran: false, reason: 'busy' });
    const ran = [a, b].find((x) => x.ran);
    expect(ran?.ran && ran.runs[0]!.counts.added).toBe(20);
    // Once the lock is free, the next one runs.
    expect(
      (await syncConnector({ db: t.db }, s.connector, { kind: 'incremental', trigger: 'cli' })).ran,
    ).toBe(true);
  });

  test('full sync with nesting, a held mass removal and its confirmation', async () => {
    const s = await make(`core${backend.name}`);
    const first = await syncConnector({ db: t.db }, s.connector, { kind: 'full', trigger: 'cli' });
    expect(first.ran && first.runs[0]!.counts).toMatchObject({
      added: 20,
      groupsAdded: 3,
      membershipsAdded: 8,
    });
    const u2 = await s.user(t.db, 2);
    expect((await effectiveGroups(t.db, u2.id)).map((g) => g.depth)).toEqual([3, 1, 2]);
    for (let n = 6; n <= 20; n++) await ldap.slapd().modify(deleteLdif(s.userDn(n)));
    const held = await syncConnector({ db: t.db }, s.connector, { kind: 'full', trigger: 'cli' });
    expect(held.ran && held.runs[0]).toMatchObject({
      outcome: 'held',
      pending: { deprovision: 15, base: 20 },
    });
    expect(await statusCounts(t.db, s.id)).toEqual({ active: 20 });
    const confirmed = await confirmSync({ db: t.db }, s.connector);
    expect(confirmed.ran && confirmed.runs[0]).toMatchObject({ outcome: 'applied', counts: { removed: 15 } });
    expect(await statusCounts(t.db, s.id)).toEqual({ active: 5, deprovisioned: 15 });
  });
});

describe('a node', () => {
  const t = useDb(backends[0]!);

  test('the scheduler runs a full sync, then incremental ones; /metrics shows them', async () => {
    const s = await make('sched', { config: { sync: { incremental: '1s', full: '1h' } } });
    const registry = new Registry();
    const scheduler = startSyncScheduler(
      { db: t.db, log: silent, connectors: [s.connector], metrics: registry },
      { initialDelayMs: 10 },
    );
    try {
      const full = await until('a full sync', async () =>
        (await lastRuns(t.db, 'sched')).find((r) => r.kind === 'full' && r.outcome === 'applied'),
      );
      expect(full).toMatchObject({ trigger: 'schedule', counts: { added: 20 } });
      const who = await s.user(t.db, 8);
      await ldap.slapd().modify(replaceLdif(s.userDn(8), 'displayName', 'Scheduled Eight'));
      await until('the incremental sync', async () =>
        (await lastRuns(t.db, 'sched')).find((r) => r.kind === 'incremental' && r.counts.updated === 1),
      );
      expect((await getUser(t.db, who.id)).displayName).toBe('Scheduled Eight');
      const text = await registry.metrics();
      expect(text).toContain(
        'gatehouse_sync_last_run_users{connector="sched",kind="full",change="added"} 20',
      );
      expect(text).toContain(
        'gatehouse_sync_last_run_outcome{connector="sched",kind="incremental",outcome="applied"} 1',
      );
      expect(text).toMatch(
        /gatehouse_sync_last_run_duration_seconds\{connector="sched",kind="full"\} [\d.]+/,
      );
      expect(text).toMatch(
        /gatehouse_sync_runs_total\{connector="sched",kind="incremental",outcome="applied"\} [1-9]/,
      );
      expect(text).toContain('gatehouse_sync_pending_confirmation{connector="sched"} 0');
    } finally {
      await scheduler.stop();
    }
    const stoppedAt = (await lastRuns(t.db, 'sched')).map((r) => r.runId).join();
    await new Promise((r) => setTimeout(r, 1500));
    expect((await lastRuns(t.db, 'sched')).map((r) => r.runId).join()).toBe(stoppedAt);
  });

  test('password sign-in of directory users: a bind, the same locks, fail closed, disabled at once', async () => {
    const { signInWithPassword } = await import('../../src/auth/sign-in.ts');
    const s = await make('pwd');
    await syncConnector({ db: t.db }, s.connector, { kind: 'full', trigger: 'cli' });
    const policy = { minLength: 12, maxAge: 0, history: 5, requireClasses: 3 };
    const deps = { db: t.db, connectors: [s.connector], config: { passwordPolicy: policy } };
    const signIn = (n: number, password: string, connectors = deps.connectors) =>
      signInWithPassword({ ...deps, connectors }, s.uid(n), password, {
        actor: 'anonymous',
        ip: '192.0.2.50',
      });

    expect(await signIn(1, `${s.uid(1)}-password`)).toMatchObject({
      outcome: 'ok',
      user: { userName: s.uid(1) },
    });
    expect(await signIn(1, 'not-the-password')).toEqual({ outcome: 'bad_credentials' });
    expect(await signIn(1, '')).toEqual({ outcome: 'bad_credentials' });

    // Five wrong binds lock the account here too; the right password is then refused unchecked.
    for (let i = 0; i < 5; i++) await signIn(4, `wrong-${i}`);
    expect((await signIn(4, `${s.uid(4)}-password`)).outcome).toBe('locked');

    // Disabled in the directory: refused, and disabled in Gatehouse before any sync.
    const u2 = await s.user(t.db, 2);
    await ldap.slapd().modify(lockLdif(s.userDn(2)));
    expect((await signIn(2, `${s.uid(2)}-password`)).outcome).not.toBe('ok');
    expect((await getUser(t.db, u2.id)).status).toBe('disabled');

    // The directory is down: fail closed, with a reason the page can show.
    const [p] = await freePorts(1);
    const down = s.variant({ urls: [`ldap://127.0.0.1:${p}`] });
    expect(await signIn(3, `${s.uid(3)}-password`, [down])).toMatchObject({ outcome: 'unavailable' });
    expect(await signIn(3, `${s.uid(3)}-password`, [])).toMatchObject({ outcome: 'unavailable' });
    const logged = await t.db.query<{ details: Record<string, unknown> }>(
      "select details from audit_log where action = 'auth.signin'",
    );
    expect(JSON.stringify(logged.rows)).not.toContain('-password');
  });

  test('sign-in re-check: disabled or removed in the directory → disabled in Gatehouse at once', async () => {
    const s = await make('chk');
    await syncConnector({ db: t.db }, s.connector, { kind: 'full', trigger: 'cli' });
    const deps = { db: t.db, connectors: [s.connector] };
    const u1 = await s.user(t.db, 1);
    const active = await checkDirectoryUser(deps, u1);
    expect(active).toMatchObject({ status: 'active', user: { id: u1.id }, identity: { userName: s.uid(1) } });

    const u2 = await s.user(t.db, 2);
    await ldap.slapd().modify(lockLdif(s.userDn(2)));
    const mark = (await readEvents(t.db, 0, 100_000)).at(-1)!.id;
    const disabled = await checkDirectoryUser(deps, u2, { ip: '192.0.2.7', requestId: 'req-9' });
    expect(disabled).toMatchObject({ status: 'disabled', user: { id: u2.id, status: 'disabled' } });
    expect((await readEvents(t.db, mark)).map((e) => [e.type, e.userId])).toEqual([['user.disabled', u2.id]]);
    const audit = await t.db.query<{ actor: string; ip: string; request_id: string }>(
      "select actor, ip, request_id from audit_log where action = 'user.disable' and target = $1",
      [`user:${u2.id}`],
    );
    expect(audit.rows).toEqual([{ actor: 'connector:chk', ip: '192.0.2.7', request_id: 'req-9' }]);

    const u3 = await s.user(t.db, 3);
    await ldap.slapd().modify(deleteLdif(s.userDn(3)));
    expect(await checkDirectoryUser(deps, u3)).toMatchObject({
      status: 'gone',
      user: { status: 'disabled' },
    });

    // The next full sync deprovisions the one that is gone; re-enabled in the directory, the other
    // comes back through the sync.
    await ldap.slapd().modify(unlockLdif(s.userDn(2)));
    const run = await syncConnector({ db: t.db }, s.connector, { kind: 'full', trigger: 'cli' });
    expect(run.ran && run.runs[0]!.counts).toMatchObject({ removed: 1, reactivated: 1 });
    expect((await getUser(t.db, u2.id)).status).toBe('active');
    expect((await getUser(t.db, u3.id)).status).toBe('deprovisioned');

    const builtin = await t.db.transaction((tx) =>
      createUser(tx, { actor: 'test' }, { userName: 'chk-builtin' }),
    );
    expect(await checkDirectoryUser(deps, builtin)).toEqual({ status: 'not_directory' });
    const [p] = await freePorts(1);
    const down = s.variant({ urls: [`ldap://127.0.0.1:${p}`] });
    expect(await checkDirectoryUser({ db: t.db, connectors: [down] }, u1)).toMatchObject({
      status: 'unavailable',
    });
    expect(await checkDirectoryUser({ db: t.db, connectors: [] }, u1)).toMatchObject({
      status: 'unavailable',
    });
    expect((await getUser(t.db, u1.id)).status).toBe('active');
  });
});

describe('gatehouse serve', () => {
  test('runs the sync scheduler for the configured connectors; /metrics shows it', async () => {
    const s = await make('srv');
    const cwd = mkdtempSync(join(tmpdir(), 'gh-sync-serve-'));
    writeFileSync(join(cwd, 'gatehouse.yaml'), configYaml(s, { port: 0, host: '127.0.0.1' }));
    const config = loadConfig({ env: {}, cwd });
    const running = await serve(config, silent, { announce: () => {} });
    try {
      const full = await until('the first scheduled sync', async () =>
        (await lastRuns(running.runtime.db, 'srv')).find((r) => r.kind === 'full'),
      );
      expect(full).toMatchObject({ outcome: 'applied', trigger: 'schedule', counts: { added: 20 } });
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toContain(
        'gatehouse_sync_last_run_users{connector="srv",kind="full",change="added"} 20',
      );
    } finally {
      await running.stop();
    }
  });
});

/** gatehouse.yaml for a scenario's connector (bind password from a file next to it). */
function configYaml(s: Scenario, top: Record<string, unknown> = {}): string {
  return `${Object.entries(top)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`)
    .join('')}dataDir: ./data
connectors:
  - id: ${s.id}
    type: ldap
    dialect: openldap
    urls: ["${ldap.slapd().url}"]
    tls: { caFile: "${ldap.slapd().caFile}", startTLS: true }
    bindDN: "${SERVICE_DN}"
    bindPassword: "${SERVICE_PASSWORD}"
    userSearch: { baseDN: "${s.peopleDn}" }
    groupSearch: { baseDN: "${s.groupsDn}" }
`;
}

describe('gatehouse sync (command line)', () => {
  test('prints the counts; a held sync exits 1 and --confirm applies it', { timeout: 120_000 }, async () => {
    const s = await make('cmd');
    const cwd = mkdtempSync(join(tmpdir(), 'gh-sync-cli-'));
    writeFileSync(join(cwd, 'bind.pw'), `${SERVICE_PASSWORD}\n`);
    writeFileSync(
      join(cwd, 'gatehouse.yaml'),
      `dataDir: ./data
connectors:
  - id: cmd
    type: ldap
    dialect: openldap
    urls: ["${ldap.slapd().url}"]
    tls: { caFile: "${ldap.slapd().caFile}", startTLS: true }
    bindDN: "${SERVICE_DN}"
    bindPasswordFile: ./bind.pw
    userSearch: { baseDN: "${s.peopleDn}" }
    groupSearch: { baseDN: "${s.groupsDn}" }
`,
    );
    const first = await runGatehouse(['sync'], {}, cwd);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /^cmd: full sync applied in [\d.]+ s; users: 20 added, 0 updated, 0 disabled, 0 removed/m,
    );
    expect(first.stdout).toContain('groups: 3 added');
    expect(first.stdout + first.stderr).not.toContain(SERVICE_PASSWORD);

    for (let n = 11; n <= 20; n++) await ldap.slapd().modify(deleteLdif(s.userDn(n)));
    const held = await runGatehouse(['sync', '--full'], {}, cwd);
    expect(held.code).toBe(1);
    expect(held.stdout).toContain('cmd: full sync HELD');
    expect(held.stdout).toContain(
      'it would disable 0 and deprovision 10 of 20 users (50 %, more than the 10 % allowed)',
    );
    expect(held.stdout).toContain('gatehouse sync --connector cmd --confirm');

    const confirmed = await runGatehouse(['sync', '--connector', 'cmd', '--confirm'], {}, cwd);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(confirmed.stdout).toMatch(/cmd: full sync applied .* 10 removed/);

    const unknown = await runGatehouse(['sync', '--connector', 'nope'], {}, cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--connector: no connector "nope" (configured: cmd)');
  });
});

describe('admin API: connectors', () => {
  test('status lists the last runs and a held sync; a sync runs on request; a hold is confirmed with its token', {
    timeout: 120_000,
  }, async () => {
    const { startTestServer } = await import('../support/server.ts');
    const { appRouters } = await import('../../src/http/routers.ts');
    const { createToken } = await import('../../src/tokens/tokens.ts');
    const s = await make('api');
    const server = await startTestServer({ backend: 'pglite', routers: appRouters, yaml: configYaml(s) });
    try {
      const { token } = await server.runtime.db.transaction((tx) =>
        createToken(tx, { actor: 'test' }, { name: 'ops', scopes: ['directory:read', 'directory:write'] }),
      );
      interface Run {
        outcome: string;
        counts: Record<string, number>;
      }
      interface Answer {
        runs: Run[];
        connectors: {
          id: string;
          lastRuns: Run[];
          pendingConfirmation: { token: string; deprovision: number; base: number } | null;
        }[];
      }
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${server.url}/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        return { status: response.status, body: (await response.json()) as Answer };
      };
      const first = await call('POST', '/connectors/api/sync', { full: true });
      expect(first.status).toBe(200);
      expect(first.body.runs[0]).toMatchObject({ outcome: 'applied', counts: { added: 20 } });

      for (let n = 11; n <= 20; n++) await ldap.slapd().modify(deleteLdif(s.userDn(n)));
      const held = await call('POST', '/connectors/api/sync', { full: true });
      expect(held.body.runs[0]!.outcome).toBe('held');
      const status = await call('GET', '/connectors');
      const api = status.body.connectors.find((c) => c.id === 'api')!;
      expect(api.pendingConfirmation).toMatchObject({ deprovision: 10, base: 20 });
      expect(api.lastRuns.map((r) => r.outcome)).toContain('held');

      expect((await call('POST', '/connectors/api/sync', { confirm: 'stale-token' })).status).toBe(412);
      const confirmed = await call('POST', '/connectors/api/sync', {
        confirm: api.pendingConfirmation!.token,
      });
      expect(confirmed.body.runs[0]).toMatchObject({ outcome: 'applied', counts: { removed: 10 } });
      expect((await call('GET', '/connectors')).body.connectors[0]!.pendingConfirmation).toBeNull();
      expect((await call('POST', '/connectors/nope/sync')).status).toBe(404);
      expect(server.logs.text()).not.toContain(SERVICE_PASSWORD);
    } finally {
      await server.stop();
    }
  });
});
