// The connector against a real Active Directory (Samba AD DC). Samba's ports are fixed, so this
// file is the only one that starts it; it is skipped (with the reason) where Samba cannot run.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Connector, Identity } from '../../../connectors/types.ts';
import {
  AD_ADMIN_DN,
  AD_ADMIN_PASSWORD,
  AD_BASE_DN,
  AD_GROUPS,
  AD_PEOPLE,
  adGroupDn,
  adGroupLdif,
  adUserDn,
  adUserLdif,
  type Samba,
  sambaAvailable,
  startSamba,
} from '../../support/samba.ts';
import { collect, connector } from './helpers.ts';

const unavailable = await sambaAvailable();
// CI installs Samba (.ci/run): there a missing Samba is a failure, never a skip.
if (unavailable && process.env['CI']) throw new Error(`Samba AD is required in CI: ${unavailable}`);
if (unavailable) console.warn(`Samba AD tests skipped: ${unavailable}`);

let samba: Samba;
let ad: Connector;

function adConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'corp-ad',
    type: 'ldap',
    dialect: 'active-directory',
    urls: [samba.ldapsUrl],
    tls: { caFile: samba.caFile },
    // Samba AD has no separate read-only account in this fixture: the administrator reads.
    bindDN: AD_ADMIN_DN,
    bindPassword: AD_ADMIN_PASSWORD,
    timeouts: { connect: '3s', operation: '15s' },
    userSearch: { baseDN: AD_PEOPLE, attributes: { upn: 'userPrincipalName' } },
    groupSearch: { baseDN: AD_GROUPS },
    ...overrides,
  };
}

// 1 Jan 2000 in Windows FILETIME (100 ns since 1601): an account expiry in the past.
const PAST_FILETIME = '125911584000000000';

beforeAll(async () => {
  if (unavailable) return;
  samba = await startSamba();
  await samba.add(
    [
      adUserLdif('alice'),
      adUserLdif('bob'),
      adUserLdif('abe'),
      adUserLdif('dave', { userAccountControl: '514' }),
      adUserLdif('mustchange', { pwdLastSet: '0' }),
      adUserLdif('expired', { accountExpires: PAST_FILETIME }),
      adUserLdif('locky'),
      adUserLdif('jürgen', { displayName: 'Jürgen Groß' }),
      // Three deep: g1 ∋ alice, g2 ∋ g1, g3 ∋ g2; cycle c1 ∋ alice, c1 ∋ c2, c2 ∋ c1.
      adGroupLdif('g1', [adUserDn('alice')]),
      adGroupLdif('g2', [adGroupDn('g1')]),
      adGroupLdif('g3', [adGroupDn('g2')]),
      adGroupLdif('c1', [adUserDn('alice')]),
      adGroupLdif('c2', [adGroupDn('c1'), adUserDn('bob')]),
    ].join(''),
  );
  await samba.modify(
    `dn: ${adGroupDn('c1')}\nchangetype: modify\nadd: member\nmember: ${adGroupDn('c2')}\n\n`,
  );
  ad = connector(adConfig());
}, 120_000);

afterAll(async () => {
  await ad?.close();
  await samba?.stop();
});

const login = (u: string, p: string) => ad.password!.login(u, p);
const names = (i: Identity) => i.groups.map((g) => g.name).sort();

describe.skipIf(!!unavailable)('Active Directory (Samba AD DC)', () => {
  test('sign in by sAMAccountName and by userPrincipalName', async () => {
    const a = await login('alice', 'alice-Passw0rd');
    const b = await login('alice@corp.example', 'alice-Passw0rd');
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.identity.externalId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(b.identity.externalId).toBe(a.identity.externalId);
    expect(a.identity).toMatchObject({
      userName: 'alice',
      displayName: 'alice Tester',
      emails: ['alice@corp.example'],
      attributes: { upn: ['alice@corp.example'] },
      disabled: false,
      dn: adUserDn('alice'),
    });
  });

  test('externalId is the canonical objectGUID string', async () => {
    const a = await login('alice', 'alice-Passw0rd');
    if (!a.ok) throw new Error(a.message);
    const { Client } = await import('ldapts');
    const c = new Client({
      url: samba.ldapsUrl,
      tlsOptions: { ca: await import('node:fs').then((f) => f.readFileSync(samba.caFile)) },
    });
    await c.bind(AD_ADMIN_DN, AD_ADMIN_PASSWORD);
    // The GUID string form, as AD accepts it in a <GUID=…> base.
    const r = await c.search(`<GUID=${a.identity.externalId}>`, {
      scope: 'base',
      attributes: ['sAMAccountName'],
    });
    await c.unbind();
    expect(r.searchEntries[0]?.['sAMAccountName']).toBe('alice');
  });

  test('wrong password (data 52e) and unknown user are invalid_credentials', async () => {
    expect(await login('alice', 'wrong')).toMatchObject({ ok: false, reason: 'invalid_credentials' });
    expect(await login('nobody', 'alice-Passw0rd')).toMatchObject({
      ok: false,
      reason: 'invalid_credentials',
    });
    const r = await login('bob', 'wrong');
    if (!r.ok) expect(r.message).toMatch(/data 52e/);
  });

  test('empty password never reaches AD (where it would be an anonymous bind that succeeds)', async () => {
    expect(await login('alice', '')).toMatchObject({
      ok: false,
      reason: 'invalid_credentials',
      message: 'empty password',
    });
  });

  test('disabled (userAccountControl 514) is refused with the right password', async () => {
    const r = await login('dave', 'dave-Passw0rd');
    expect(r).toMatchObject({ ok: false, reason: 'disabled' });
  });

  test('must change password (data 773)', async () => {
    expect(await login('mustchange', 'mustchange-Passw0rd')).toMatchObject({
      ok: false,
      reason: 'must_change',
    });
  });

  test('account expired (data 701)', async () => {
    expect(await login('expired', 'expired-Passw0rd')).toMatchObject({ ok: false, reason: 'expired' });
  });

  test('locked out after failures (data 775)', async () => {
    for (let i = 0; i < 3; i++) await login('locky', 'wrong');
    const r = await login('locky', 'locky-Passw0rd');
    expect(r).toMatchObject({ ok: false, reason: 'locked' });
  });

  test.each([
    ['*', '*'],
    ['a*', 'a*'],
    ['*)(sAMAccountName=*', '*)(sAMAccountName=*'],
    ['backslash', '\\'],
    ['alice NUL (Samba cuts values at NUL)', 'alice\0'],
    ['alice NUL x', 'alice\0x'],
    ['300 characters', 'x'.repeat(300)],
  ])('username %s never matches someone else', async (_label, username) => {
    for (const password of ['alice-Passw0rd', 'abe-Passw0rd']) {
      expect(await login(username, password)).toMatchObject({ ok: false, reason: 'invalid_credentials' });
    }
  });

  test('non-ASCII sAMAccountName', async () => {
    const r = await login('jürgen', 'jürgen-Passw0rd');
    expect(r.ok && r.identity.displayName).toBe('Jürgen Groß');
  });

  test('nested groups through LDAP_MATCHING_RULE_IN_CHAIN, cycle included', async () => {
    const r = await login('alice', 'alice-Passw0rd');
    expect(r.ok && names(r.identity)).toEqual(['c1', 'c2', 'g1', 'g2', 'g3']);
    const direct = connector(adConfig({ groupSearch: { baseDN: AD_GROUPS, nested: false } }));
    try {
      const d = await direct.password!.login('alice', 'alice-Passw0rd');
      expect(d.ok && names(d.identity)).toEqual(['c1', 'g1']);
    } finally {
      await direct.close();
    }
  });

  test('ranged attribute retrieval (member;range=…) reads every value', async () => {
    const { Client } = await import('ldapts');
    const { readFileSync } = await import('node:fs');
    const { allValues } = await import('../../../connectors/ldap/groups.ts');
    const { searchOnce } = await import('../../../connectors/ldap/search.ts');
    const members = ['bob', 'abe', 'dave', 'expired', 'mustchange'].map(adUserDn);
    await samba.add(adGroupLdif('ranged', members));
    const c = new Client({ url: samba.ldapsUrl, tlsOptions: { ca: readFileSync(samba.caFile) } });
    try {
      await c.bind(AD_ADMIN_DN, AD_ADMIN_PASSWORD);
      // Ask for the first two values only, as Windows does by itself for groups over 1,500 members.
      const [entry] = await searchOnce(c, {
        base: adGroupDn('ranged'),
        scope: 'base',
        filter: '(objectClass=group)',
        attributes: ['member;range=0-1'],
      });
      expect([...entry!.attrs.keys()]).toEqual(['member;range=0-1']);
      expect((await allValues(c, entry!, 'member')).sort()).toEqual([...members].sort());
    } finally {
      await c.unbind();
    }
  });

  test('dialect auto recognises AD from the rootDSE', async () => {
    const c = connector(adConfig({ dialect: 'auto' }));
    try {
      const r = await c.password!.login('alice', 'alice-Passw0rd');
      expect(r.ok && names(r.identity)).toEqual(['c1', 'c2', 'g1', 'g2', 'g3']);
    } finally {
      await c.close();
    }
  });

  test('StartTLS on 389', async () => {
    const c = connector(adConfig({ urls: [samba.url], tls: { caFile: samba.caFile, startTLS: true } }));
    try {
      expect((await c.password!.login('bob', 'bob-Passw0rd')).ok).toBe(true);
    } finally {
      await c.close();
    }
  });

  test('rename and move keep the externalId (objectGUID)', async () => {
    await samba.add(adUserLdif('frank'));
    const first = await login('frank', 'frank-Passw0rd');
    if (!first.ok) throw new Error(first.message);
    await samba.add(`dn: OU=Moved,${AD_PEOPLE}\nobjectClass: organizationalUnit\nou: Moved\n\n`);
    await samba.modify(
      `dn: ${adUserDn('frank')}\nchangetype: modrdn\nnewrdn: CN=Franklin\ndeleteoldrdn: 1\nnewsuperior: OU=Moved,${AD_PEOPLE}\n\n`,
    );
    const after = await ad.refresh!.check(first.identity.externalId);
    expect(after.status).toBe('active');
    if (after.status === 'active') expect(after.identity.dn).toBe(`CN=Franklin,OU=Moved,${AD_PEOPLE}`);
    await samba.modify(
      `dn: CN=Franklin,OU=Moved,${AD_PEOPLE}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n\n`,
    );
    expect((await ad.refresh!.check(first.identity.externalId)).status).toBe('disabled');
    await samba.modify(
      `dn: CN=Franklin,OU=Moved,${AD_PEOPLE}\nchangetype: modrdn\nnewrdn: CN=Franklin\ndeleteoldrdn: 1\nnewsuperior: CN=Users,${AD_BASE_DN}\n\n`,
    );
    expect(await ad.refresh!.check(first.identity.externalId)).toEqual({ status: 'gone' });
  });

  test('full sync pages, resolves nested members, then incremental by uSNChanged', async () => {
    const c = connector(adConfig({ pageSize: 3 }));
    try {
      const full = await collect(c.fullSync!.fullSync());
      expect(full.end).toMatchObject({ complete: true });
      expect(full.userBatches.length).toBeGreaterThan(2);
      expect(Math.max(...full.userBatches)).toBeLessThanOrEqual(3);
      const byName = new Map(full.users.map((u) => [u.userName, u]));
      expect(byName.get('dave')?.disabled).toBe(true);
      expect(byName.get('alice')?.disabled).toBe(false);
      const groups = new Map(full.groups.map((g) => [g.name, g]));
      expect(groups.get('g2')?.memberGroups).toEqual([groups.get('g1')!.externalId]);
      expect(groups.get('g1')?.members).toEqual([byName.get('alice')!.externalId]);
      expect(new Set(groups.get('c1')?.memberGroups)).toEqual(new Set([groups.get('c2')!.externalId]));
      if (!full.end?.complete) return;
      const mark = JSON.parse(full.end.highWaterMark) as { d: string; server: string; usn: string };
      expect(mark.d).toBe('ad');
      expect(mark.server).toMatch(/^CN=NTDS Settings,CN=DC1,/i);

      await samba.modify(
        `dn: ${adUserDn('bob')}\nchangetype: modify\nreplace: displayName\ndisplayName: Robert\n\n`,
      );
      await samba.modify(
        `dn: ${adUserDn('abe')}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n\n`,
      );
      await samba.modify(
        `dn: ${adGroupDn('g3')}\nchangetype: modify\nadd: member\nmember: ${adUserDn('bob')}\n\n`,
      );
      const inc = await collect(c.incrementalSync!.changesSince(full.end.highWaterMark));
      expect(inc.end).toMatchObject({ complete: true });
      const users = new Map(inc.users.map((u) => [u.userName, u]));
      expect(users.get('bob')?.displayName).toBe('Robert');
      expect(users.get('abe')?.disabled).toBe(true);
      expect(users.has('alice')).toBe(false);
      const g3 = inc.groups.find((g) => g.name === 'g3');
      expect(g3?.members).toEqual([byName.get('bob')!.externalId]);
      expect(g3?.memberGroups).toEqual([groups.get('g2')!.externalId]);

      // A mark from another domain controller is refused.
      const foreign = JSON.stringify({ ...mark, server: 'CN=NTDS Settings,CN=DC2,CN=Servers' });
      expect((await collect(c.incrementalSync!.changesSince(foreign))).end).toMatchObject({
        complete: false,
        reason: 'resync_required',
      });
    } finally {
      await c.close();
    }
  });
});
