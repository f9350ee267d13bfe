// The sync engine against a real slapd, on PGlite: lifecycle, safety, memberships.
import { describe, expect, test } from 'vitest';
import type { Connector, SyncItem } from '../../connectors/types.ts';
import { readEvents } from '../../src/directory/events.ts';
import { effectiveGroups } from '../../src/directory/members.ts';
import { createUser, disableUser, getUser } from '../../src/directory/users.ts';
import { GatehouseError } from '../../src/errors.ts';
import { runSync } from '../../src/sync/engine.ts';
import { confirmSync, syncConnector } from '../../src/sync/run.ts';
import { readSyncState } from '../../src/sync/state.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { BASE_DN, freePorts, TINY_DN, TINY_PASSWORD, toLdif } from '../support/slapd.ts';
import {
  deleteLdif,
  lockLdif,
  moveLdif,
  replaceLdif,
  statusCounts,
  unlockLdif,
  useSlapdScenarios,
} from './helpers.ts';

const ldap = useSlapdScenarios();
const make = ldap.make;

describe('sync on pglite', () => {
  const t = useDb(backends[0]!);
  const eventsSince = async (after: number) => readEvents(t.db, after, 10_000);
  const lastEventId = async () => (await eventsSince(0)).at(-1)?.id ?? 0;

  test('first full sync creates users, groups and nested memberships; a second changes nothing', async () => {
    const s = await make('first');
    const run = await s.sync(t.db);
    expect(run).toMatchObject({ kind: 'full', outcome: 'applied', complete: true });
    expect(run.counts).toMatchObject({
      added: 20,
      updated: 0,
      disabled: 0,
      removed: 0,
      errors: 0,
      groupsAdded: 3,
      membershipsAdded: 8,
    });
    const u1 = await s.user(t.db, 1);
    expect(u1).toMatchObject({
      userName: 'firstu01',
      displayName: 'User 1 of first',
      givenName: 'Given1',
      familyName: 'Surname1',
      emails: [{ value: 'firstu01@example.org' }],
      source: 'ldap:first',
      status: 'active',
    });
    const chain = await effectiveGroups(t.db, u1.id);
    expect(chain.map((g) => [g.name, g.depth, g.source])).toEqual([
      ['first-all', 3, 'ldap:first'],
      ['first-eng', 1, 'ldap:first'],
      ['first-platform', 2, 'ldap:first'],
    ]);
    expect(await statusCounts(t.db, 'first')).toEqual({ active: 20 });

    const again = await s.sync(t.db);
    expect(again.counts).toMatchObject({ added: 0, updated: 0, groupsAdded: 0, membershipsAdded: 0 });
    const incremental = await s.sync(t.db, 'incremental');
    expect(incremental).toMatchObject({ kind: 'incremental', outcome: 'applied' });
    expect(incremental.counts).toMatchObject({ added: 0, updated: 0, membershipsAdded: 0 });

    const { rows } = await t.db.query<{ actor: string; details: Record<string, unknown> }>(
      "select actor, details from audit_log where action = 'sync.run' and target = 'connector:first' order by seq",
    );
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      actor: 'system',
      details: { kind: 'full', complete: true, held: false, added: 20, outcome: 'applied' },
    });
    const perUser = await t.db.query<{ n: number }>(
      "select count(*)::int as n from audit_log where actor = 'connector:first' and action = 'user.create'",
    );
    expect(perUser.rows[0]!.n).toBe(20);
  });

  test('an incremental sync with no mark yet runs a full one', async () => {
    const s = await make('nomark');
    const run = await s.sync(t.db, 'incremental');
    expect(run).toMatchObject({ kind: 'full', outcome: 'applied' });
    expect((await readSyncState(t.db, 'nomark')).highWaterMark).toBeTruthy();
  });

  test('rename and move keep the same Gatehouse user', async () => {
    const s = await make('ren');
    await s.sync(t.db);
    const before = await s.user(t.db, 7);
    await ldap
      .slapd()
      .modify(
        `dn: ${s.userDn(7)}\nchangetype: modrdn\nnewrdn: uid=ren-seven\ndeleteoldrdn: 1\n\n` +
          toLdif(`ou=moved,${s.peopleDn}`, { objectClass: 'organizationalUnit', ou: 'moved' }).replace(
            '\n',
            '\nchangetype: add\n',
          ),
      );
    const inc = await s.sync(t.db, 'incremental');
    expect(inc.counts).toMatchObject({ added: 0, updated: 1 });
    let after = await getUser(t.db, before.id);
    expect(after.userName).toBe('ren-seven');

    await ldap
      .slapd()
      .modify(moveLdif(`uid=ren-seven,${s.peopleDn}`, 'uid=ren-seven', `ou=moved,${s.peopleDn}`));
    await ldap
      .slapd()
      .modify(replaceLdif(`uid=ren-seven,ou=moved,${s.peopleDn}`, 'displayName', 'Seven Moved'));
    const full = await s.sync(t.db);
    expect(full.counts).toMatchObject({ added: 0, updated: 1, removed: 0 });
    after = await getUser(t.db, before.id);
    expect(after).toMatchObject({
      id: before.id,
      userName: 'ren-seven',
      displayName: 'Seven Moved',
      status: 'active',
    });
    expect(await statusCounts(t.db, 'ren')).toEqual({ active: 20 });
  });

  test('a user removed from the directory is deprovisioned by a complete full sync only', async () => {
    const s = await make('rm');
    await s.sync(t.db);
    const gone = await s.user(t.db, 5); // in rm-eng
    await ldap.slapd().modify(deleteLdif(s.userDn(5)));
    const mark = await lastEventId();

    // An incremental sync never removes: deletions are not reported to it (and OpenLDAP's refint
    // drops the member value without touching the group's modifyTimestamp).
    const inc = await s.sync(t.db, 'incremental');
    expect(inc.counts).toMatchObject({ removed: 0 });
    expect((await getUser(t.db, gone.id)).status).toBe('active');

    const full = await s.sync(t.db);
    expect(full).toMatchObject({ outcome: 'applied', complete: true });
    expect(full.counts).toMatchObject({ removed: 1, disabled: 0, membershipsRemoved: 1 });
    expect((await getUser(t.db, gone.id)).status).toBe('deprovisioned');
    const events = (await eventsSince(mark)).filter((e) => e.userId === gone.id).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['membership.removed', 'user.deprovisioned']));
    const audit = await t.db.query<{ actor: string; details: Record<string, unknown> }>(
      "select actor, details from audit_log where action = 'user.deprovision' and target = $1",
      [`user:${gone.id}`],
    );
    expect(audit.rows).toEqual([
      {
        actor: 'connector:rm',
        details: { from: 'active', to: 'deprovisioned', reason: 'absent from a complete full sync' },
      },
    ]);
  });

  test('a user who leaves the search scope and comes back is the same identity, reactivated', async () => {
    const s = await make('back');
    await s.sync(t.db);
    const who = await s.user(t.db, 9);
    const attic = `ou=attic-back,${BASE_DN}`;
    await ldap.slapd().add(toLdif(attic, { objectClass: 'organizationalUnit', ou: 'attic-back' }));
    await ldap.slapd().modify(moveLdif(s.userDn(9), `uid=${s.uid(9)}`, attic));
    expect((await s.sync(t.db)).counts).toMatchObject({ removed: 1 });
    expect((await getUser(t.db, who.id)).status).toBe('deprovisioned');

    await ldap.slapd().modify(moveLdif(`uid=${s.uid(9)},${attic}`, `uid=${s.uid(9)}`, s.peopleDn));
    const mark = await lastEventId();
    const inc = await s.sync(t.db, 'incremental');
    expect(inc.counts).toMatchObject({ reactivated: 1, added: 0 });
    const back = await getUser(t.db, who.id);
    expect(back).toMatchObject({ id: who.id, status: 'active', userName: s.uid(9) });
    expect((await eventsSince(mark)).map((e) => e.type)).toContain('user.reactivated');
    expect(await statusCounts(t.db, 'back')).toEqual({ active: 20 });
  });

  test('a user disabled in the directory is disabled by an incremental sync, and enabled again', async () => {
    const s = await make('dis');
    await s.sync(t.db);
    const who = await s.user(t.db, 3);
    await ldap.slapd().modify(lockLdif(s.userDn(3)));
    const mark = await lastEventId();
    const inc = await s.sync(t.db, 'incremental');
    expect(inc).toMatchObject({ outcome: 'applied' });
    expect(inc.counts).toMatchObject({ disabled: 1, removed: 0 });
    const disabled = await getUser(t.db, who.id);
    expect(disabled.status).toBe('disabled');
    expect(disabled.validAfter.getTime()).toBeGreaterThan(who.validAfter.getTime());
    expect((await eventsSince(mark)).filter((e) => e.userId === who.id).map((e) => e.type)).toEqual([
      'user.disabled',
    ]);

    await ldap.slapd().modify(unlockLdif(s.userDn(3)));
    const again = await s.sync(t.db, 'incremental');
    expect(again.counts).toMatchObject({ reactivated: 1, disabled: 0 });
    expect((await getUser(t.db, who.id)).status).toBe('active');
  });

  test("the sync never undoes an administrator's disable", async () => {
    const s = await make('adm');
    await s.sync(t.db);
    const who = await s.user(t.db, 4);
    await t.db.transaction((tx) => disableUser(tx, { actor: 'user:admin' }, who.id, { reason: 'on leave' }));
    await ldap.slapd().modify(replaceLdif(s.userDn(4), 'displayName', 'Still Here'));
    const run = await s.sync(t.db);
    expect(run.counts).toMatchObject({ updated: 1, reactivated: 0 });
    expect(await getUser(t.db, who.id)).toMatchObject({ status: 'disabled', displayName: 'Still Here' });
  });

  test('half the users removed at once: nothing applied, held with the counts; --confirm applies it', async () => {
    const s = await make('half');
    await s.sync(t.db);
    for (let n = 11; n <= 20; n++) await ldap.slapd().modify(deleteLdif(s.userDn(n)));
    const held = await s.sync(t.db);
    expect(held).toMatchObject({
      outcome: 'held',
      complete: true,
      pending: { disable: 0, deprovision: 10, base: 20, kind: 'full' },
    });
    expect(held.counts).toMatchObject({ removed: 0, disabled: 0 });
    expect(await statusCounts(t.db, 'half')).toEqual({ active: 20 });
    const state = await readSyncState(t.db, 'half');
    expect(state.pending).toMatchObject({
      deprovision: 10,
      disable: 0,
      base: 20,
      token: held.pending!.token,
    });
    const audit = await t.db.query<{ details: Record<string, unknown> }>(
      "select details from audit_log where action = 'sync.run' and target = 'connector:half' order by seq desc limit 1",
    );
    expect(audit.rows[0]!.details).toMatchObject({
      held: true,
      outcome: 'held',
      pending: { deprovision: 10, disable: 0, base: 20 },
    });

    // Held again by a later run (new token); a confirmation quoting the old token is refused.
    const again = await s.sync(t.db);
    expect(again.outcome).toBe('held');
    const stale = await confirmSync({ db: t.db }, s.connector, { token: held.pending!.token }).catch(
      (e) => e,
    );
    expect(stale).toBeInstanceOf(GatehouseError);
    expect((stale as GatehouseError).code).toBe('sync.confirmation_stale');

    const confirmed = await confirmSync({ db: t.db }, s.connector, { context: { actor: 'cli' } });
    expect(confirmed.ran).toBe(true);
    const [run] = confirmed.ran ? confirmed.runs : [];
    expect(run).toMatchObject({ outcome: 'applied', trigger: 'confirm', counts: { removed: 10 } });
    expect(await statusCounts(t.db, 'half')).toEqual({ active: 10, deprovisioned: 10 });
    expect((await readSyncState(t.db, 'half')).pending).toBeNull();
    const nothing = await confirmSync({ db: t.db }, s.connector).catch((e) => e);
    expect((nothing as GatehouseError).code).toBe('sync.nothing_to_confirm');
  });

  test('all servers down: the sync fails and changes nothing', async () => {
    const s = await make('down');
    await s.sync(t.db);
    await ldap.slapd().modify(deleteLdif(s.userDn(20)));
    await ldap.slapd().modify(lockLdif(s.userDn(19)));
    const [a, b] = await freePorts(2);
    const down = s.variant({ urls: [`ldap://127.0.0.1:${a}`, `ldap://127.0.0.1:${b}`] });
    const before = await t.db.query('select id, status, version from users where source = $1 order by id', [
      'ldap:down',
    ]);
    for (const kind of ['full', 'incremental'] as const) {
      const run = await runSync({ db: t.db }, down, { kind, trigger: 'cli' });
      expect(run).toMatchObject({ outcome: 'incomplete', complete: false, reason: 'unavailable' });
      expect(run.error).toMatch(/127\.0\.0\.1/);
    }
    const after = await t.db.query('select id, status, version from users where source = $1 order by id', [
      'ldap:down',
    ]);
    expect(after.rows).toEqual(before.rows);
    const audit = await t.db.query<{ details: Record<string, unknown> }>(
      "select details from audit_log where action = 'sync.run' and target = 'connector:down' order by seq desc limit 1",
    );
    expect(audit.rows[0]!.details).toMatchObject({
      complete: false,
      outcome: 'incomplete',
      reason: 'unavailable',
    });
  });

  test('a partial result (server size limit) deprovisions nobody', async () => {
    const s = await make('part');
    await s.sync(t.db);
    await ldap.slapd().modify(deleteLdif(s.userDn(20)));
    const tiny = s.variant({ bindDN: TINY_DN, bindPassword: TINY_PASSWORD, pageSize: 5 });
    const run = await runSync({ db: t.db }, tiny, { kind: 'full', trigger: 'cli' });
    expect(run).toMatchObject({ outcome: 'incomplete', complete: false, reason: 'size_limit' });
    expect(run.counts).toMatchObject({ removed: 0, disabled: 0, membershipsRemoved: 0, groupsRemoved: 0 });
    expect(await statusCounts(t.db, 'part')).toEqual({ active: 20 });
    // The full picture then removes the one user really gone.
    expect((await s.sync(t.db)).counts).toMatchObject({ removed: 1 });
  });

  test('a directory that does not answer in time: the run times out and changes nothing destructive', async () => {
    const s = await make('slow');
    await s.sync(t.db);
    await ldap.slapd().modify(deleteLdif(s.userDn(20)));
    const hanging: Connector = {
      ...s.connector,
      fullSync: {
        async *fullSync(): AsyncGenerator<SyncItem> {
          for await (const item of s.connector.fullSync!.fullSync()) {
            if (item.kind === 'end') await new Promise((r) => setTimeout(r, 60_000));
            yield item;
          }
        },
      },
    };
    const run = await runSync({ db: t.db }, hanging, { kind: 'full', trigger: 'cli', timeoutMs: 1_500 });
    expect(run).toMatchObject({ outcome: 'incomplete', reason: 'timeout', complete: false });
    expect(await statusCounts(t.db, 'slow')).toEqual({ active: 20 });
  });

  test('an end marker that does not match what was sent is not trusted', async () => {
    const s = await make('miscount');
    await s.sync(t.db);
    await ldap.slapd().modify(deleteLdif(s.userDn(20)));
    const lying: Connector = {
      ...s.connector,
      fullSync: {
        async *fullSync(): AsyncGenerator<SyncItem> {
          for await (const item of s.connector.fullSync!.fullSync())
            yield item.kind === 'end' && item.complete ? { ...item, users: item.users + 1 } : item;
        },
      },
    };
    const run = await runSync({ db: t.db }, lying, { kind: 'full', trigger: 'cli' });
    expect(run).toMatchObject({ outcome: 'incomplete', reason: 'error', complete: false });
    expect(run.error).toMatch(/reported 20 users .* received 19/);
    expect(await statusCounts(t.db, 'miscount')).toEqual({ active: 20 });
  });

  test('an unusable high-water mark: the incremental run is followed by a full one', async () => {
    const s = await make('resync');
    await s.sync(t.db);
    await t.db.query("update sync_state set high_water_mark = 'garbage' where connector_id = 'resync'");
    const r = await syncConnector({ db: t.db }, s.connector, { kind: 'incremental', trigger: 'cli' });
    expect(r.ran && r.runs.map((x) => [x.kind, x.outcome, x.reason ?? null])).toEqual([
      ['incremental', 'incomplete', 'resync_required'],
      ['full', 'applied', null],
    ]);
    expect((await readSyncState(t.db, 'resync')).highWaterMark).not.toBe('garbage');
  });

  test('membership removed in the directory raises membership.removed (nested: for everyone below)', async () => {
    const s = await make('mem');
    await s.sync(t.db);
    const u2 = await s.user(t.db, 2);
    const eng = await t.db.query<{ id: string }>(
      "select id from groups where source = 'ldap:mem' and name = 'mem-eng'",
    );
    const platform = await t.db.query<{ id: string }>(
      "select id from groups where source = 'ldap:mem' and name = 'mem-platform'",
    );
    let mark = await lastEventId();
    await ldap
      .slapd()
      .modify(`dn: ${s.groupDn('eng')}\nchangetype: modify\ndelete: member\nmember: ${s.userDn(2)}\n\n`);
    const inc = await s.sync(t.db, 'incremental');
    expect(inc.counts).toMatchObject({ membershipsRemoved: 1, membershipsAdded: 0 });
    const removed = (await eventsSince(mark)).filter((e) => e.type === 'membership.removed');
    expect(removed.map((e) => [e.userId, e.groupId])).toEqual([[u2.id, eng.rows[0]!.id]]);
    expect((await effectiveGroups(t.db, u2.id)).map((g) => g.name)).toEqual([]);

    mark = await lastEventId();
    await ldap
      .slapd()
      .modify(
        `dn: ${s.groupDn('platform')}\nchangetype: modify\ndelete: member\nmember: ${s.groupDn('eng')}\n\n`,
      );
    await s.sync(t.db, 'incremental');
    const nested = (await eventsSince(mark)).filter((e) => e.type === 'membership.removed');
    expect(nested).toHaveLength(4); // u1, u3, u4, u5 were in platform through eng
    expect(new Set(nested.map((e) => e.groupId))).toEqual(new Set([platform.rows[0]!.id]));

    // And added back through an incremental sync, with its events.
    mark = await lastEventId();
    await ldap
      .slapd()
      .modify(`dn: ${s.groupDn('eng')}\nchangetype: modify\nadd: member\nmember: ${s.userDn(2)}\n\n`);
    expect((await s.sync(t.db, 'incremental')).counts).toMatchObject({ membershipsAdded: 1 });
    expect((await eventsSince(mark)).filter((e) => e.type === 'membership.added')).toHaveLength(1);
  });

  test('a group removed from the directory is deleted by a full sync', async () => {
    const s = await make('grp');
    await s.sync(t.db);
    await ldap.slapd().modify(deleteLdif(s.groupDn('all')));
    const run = await s.sync(t.db);
    expect(run.counts).toMatchObject({ groupsRemoved: 1, removed: 0 });
    const { rows } = await t.db.query<{ name: string }>(
      "select name from groups where source = 'ldap:grp' order by name",
    );
    expect(rows.map((r) => r.name)).toEqual(['grp-eng', 'grp-platform']);
  });

  test('a user whose name a built-in user holds is skipped and counted; the run goes on', async () => {
    await t.db.transaction((tx) => createUser(tx, { actor: 'test' }, { userName: 'clashu03' }));
    const s = await make('clash');
    const run = await s.sync(t.db);
    expect(run).toMatchObject({ outcome: 'applied' });
    expect(run.counts).toMatchObject({ added: 19, errors: 1, membershipsAdded: 7 });
    expect(run.errorSamples[0]).toMatch(/clashu03.*exists already/);
    const builtin = await t.db.query<{ source: string }>(
      "select source from users where user_name = 'clashu03'",
    );
    expect(builtin.rows).toEqual([{ source: 'builtin' }]);
  });
});
