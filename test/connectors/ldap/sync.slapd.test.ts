// Full and incremental sync against a real slapd with 2,500 users (loaded with slapadd).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Connector, SyncEnd } from '../../../connectors/types.ts';
import { startProxy } from '../../support/proxy.ts';
import {
  BASE_DN,
  bulkLdif,
  groupDn,
  groupLdif,
  LIMITED_DN,
  LIMITED_PASSWORD,
  personLdif,
  type Slapd,
  startSlapd,
  userDn,
} from '../../support/slapd.ts';
import { collect, connector, slapdConfig } from './helpers.ts';

const USERS = 2_500;
const GROUPS = 30;
let slapd: Slapd;
let ldap: Connector;

beforeAll(async () => {
  const extra = [
    groupLdif('parent', [groupDn('group00001'), userDn('user000003')]),
    // A member outside the user search: counted, not resolved.
    groupLdif('outsider', [`cn=gatehouse,ou=services,${BASE_DN}`, userDn('user000004')]),
  ].join('');
  slapd = await startSlapd({ offlineLdif: bulkLdif(USERS, GROUPS, 20) + extra });
  await slapd.modify(
    `dn: ${userDn('user000007')}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n\n`,
  );
  ldap = connector(slapdConfig(slapd, { pageSize: 1000 }));
});

afterAll(async () => {
  await ldap?.close();
  await slapd?.stop();
});

describe('full sync', () => {
  test('pages through 2,500 users and reports complete', async () => {
    const r = await collect(ldap.fullSync!.fullSync());
    expect(r.end).toMatchObject({ kind: 'end', complete: true, users: USERS, groups: GROUPS + 2 });
    expect(r.trailing).toBe(0);
    expect(r.users).toHaveLength(USERS);
    expect(r.userBatches.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...r.userBatches)).toBeLessThanOrEqual(1000);
    expect(new Set(r.users.map((u) => u.externalId)).size).toBe(USERS);
    expect(r.users.filter((u) => u.disabled).map((u) => u.userName)).toEqual(['user000007']);

    const byId = new Map(r.users.map((u) => [u.externalId, u.userName]));
    const groups = new Map(r.groups.map((g) => [g.name, g]));
    const g1 = groups.get('group00001')!;
    expect(g1.members.map((id) => byId.get(id)).sort()).toEqual(
      Array.from({ length: 20 }, (_, k) => `user${String(20 + k + 1).padStart(6, '0')}`),
    );
    const parent = groups.get('parent')!;
    expect(parent.memberGroups).toEqual([g1.externalId]);
    expect(parent.members.map((id) => byId.get(id))).toEqual(['user000003']);
    const outsider = groups.get('outsider')!;
    expect(outsider.members.map((id) => byId.get(id))).toEqual(['user000004']);
    expect(outsider.unresolvedMembers).toBe(1);
  });

  test('a server size limit ends the sync incomplete, never complete with fewer users', async () => {
    const limited = connector(
      slapdConfig(slapd, { bindDN: LIMITED_DN, bindPassword: LIMITED_PASSWORD, pageSize: 500 }),
    );
    try {
      const r = await collect(limited.fullSync!.fullSync());
      expect(r.end).toMatchObject({ kind: 'end', complete: false, reason: 'size_limit' });
      expect(r.users.length).toBeLessThan(USERS);
      expect(r.end!.users).toBe(r.users.length);
    } finally {
      await limited.close();
    }
  });

  test('a connection lost mid-enumeration ends the sync incomplete', async () => {
    const proxy = await startProxy(slapd.port);
    const c = connector(slapdConfig(slapd, { urls: [proxy.url], pageSize: 500 }));
    try {
      let end: SyncEnd | undefined;
      let batches = 0;
      for await (const item of c.fullSync!.fullSync()) {
        if (item.kind === 'users' && ++batches === 2) proxy.cut();
        if (item.kind === 'end') end = item;
      }
      expect(end).toMatchObject({ complete: false, reason: 'unavailable' });
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  test('server down → incomplete, unavailable', async () => {
    const proxy = await startProxy(1);
    const c = connector(slapdConfig(slapd, { urls: [proxy.url] }));
    try {
      const r = await collect(c.fullSync!.fullSync());
      expect(r.end).toMatchObject({ complete: false, reason: 'unavailable', users: 0 });
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});

describe('incremental sync', () => {
  test('picks up a modification, a new user, a disabled user and a membership change', async () => {
    const full = await collect(ldap.fullSync!.fullSync());
    if (!full.end?.complete) throw new Error('full sync incomplete');
    const mark = full.end.highWaterMark;

    await slapd.modify(
      `dn: ${userDn('user000010')}\nchangetype: modify\nreplace: displayName\ndisplayName: Renamed Ten\n\n`,
    );
    await slapd.modify(
      `dn: ${userDn('user000020')}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n\n`,
    );
    await slapd.add(personLdif('newcomer'));
    await slapd.modify(
      `dn: ${groupDn('group00002')}\nchangetype: modify\nadd: member\nmember: ${userDn('newcomer')}\n\n`,
    );

    const inc = await collect(ldap.incrementalSync!.changesSince(mark));
    expect(inc.end).toMatchObject({ complete: true });
    const users = new Map(inc.users.map((u) => [u.userName, u]));
    expect(users.get('user000010')?.displayName).toBe('Renamed Ten');
    expect(users.get('user000020')?.disabled).toBe(true);
    expect(users.get('newcomer')?.disabled).toBe(false);
    // Only what changed (plus what changed in the same second as the mark), not the directory.
    expect(inc.users.length).toBeLessThan(50);
    const g2 = inc.groups.find((g) => g.name === 'group00002');
    expect(g2?.members).toContain(users.get('newcomer')!.externalId);
    expect(g2?.members).toHaveLength(21);

    // The new mark moves forward.
    if (!inc.end?.complete) throw new Error('incomplete');
    const next = JSON.parse(inc.end.highWaterMark) as { time: string };
    expect(next.time >= (JSON.parse(mark) as { time: string }).time).toBe(true);
  });

  test('a mark that is not ours asks for a full sync', async () => {
    for (const mark of ['garbage', '{"v":1,"d":"ad","server":"CN=DC1","usn":"12"}']) {
      const r = await collect(ldap.incrementalSync!.changesSince(mark));
      expect(r.end).toMatchObject({ complete: false, reason: 'resync_required' });
    }
  });
});
