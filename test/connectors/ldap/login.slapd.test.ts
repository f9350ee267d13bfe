// Sign-in, re-check, TLS and failover against a real slapd.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Connector, Identity } from '../../../connectors/types.ts';
import { startProxy } from '../../support/proxy.ts';
import {
  BASE_DN,
  freePorts,
  groupDn,
  groupLdif,
  personLdif,
  type Slapd,
  startSlapd,
  toLdif,
  userDn,
} from '../../support/slapd.ts';
import { collect, connector, slapdConfig } from './helpers.ts';

let slapd: Slapd;
let ldap: Connector;

const seed = [
  personLdif('alice', {
    displayName: 'Alice Anderson',
    departmentNumber: '42',
    mail: ['alice@example.org', 'aa@example.org'],
  }),
  personLdif('bob'),
  personLdif('abe'),
  personLdif('dave'),
  personLdif('erin'),
  personLdif('jürgen', { cn: 'Jürgen Groß', mail: 'juergen@example.org' }),
  personLdif('star*', { userPassword: 'star-password' }),
  // uid "o(k),x": its DN needs an escaped comma, filters on that DN need \28 \29 \5c.
  toLdif(`uid=o(k)\\,x,ou=people,${BASE_DN}`, {
    objectClass: 'inetOrgPerson',
    uid: 'o(k),x',
    cn: 'ok',
    sn: 'ok',
    userPassword: 'ok-password',
  }),
  groupLdif('special', [`uid=o(k)\\,x,ou=people,${BASE_DN}`]),
  // Nested three deep: g1 ∋ alice, g2 ∋ g1, g3 ∋ g2. Cycle: c1 ∋ alice, c1 ∋ c2, c2 ∋ c1.
  groupLdif('g1', [userDn('alice')]),
  groupLdif('g2', [groupDn('g1')]),
  groupLdif('g3', [groupDn('g2')]),
  groupLdif('c1', [userDn('alice')]),
  groupLdif('c2', [groupDn('c1'), userDn('bob')]),
  groupLdif('unrelated', [userDn('bob')]),
].join('');

beforeAll(async () => {
  slapd = await startSlapd({ ldif: seed });
  await slapd.modify(`dn: ${groupDn('c1')}\nchangetype: modify\nadd: member\nmember: ${groupDn('c2')}\n\n`);
  // dave: disabled by an administrator (ppolicy). erin: disabled by a custom filter (see below).
  await slapd.modify(
    `dn: ${userDn('dave')}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n\n`,
  );
  await slapd.modify(
    `dn: ${userDn('erin')}\nchangetype: modify\nadd: employeeType\nemployeeType: disabled\n\n`,
  );
  ldap = connector(slapdConfig(slapd));
});

afterAll(async () => {
  await ldap?.close();
  await slapd?.stop();
});

const login = (c: Connector, u: string, p: string) => c.password!.login(u, p);
const names = (i: Identity) => i.groups.map((g) => g.name).sort();

describe('sign-in by bind (slapd)', () => {
  test('right password → identity with mapped attributes', async () => {
    const r = await login(ldap, 'alice', 'alice-password');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const id = r.identity;
    expect(id.userName).toBe('alice');
    expect(id.displayName).toBe('Alice Anderson');
    expect(id.emails).toEqual(['alice@example.org', 'aa@example.org']);
    expect(id.attributes).toEqual({ department: ['42'] });
    expect(id.externalId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(id.dn).toBe(userDn('alice'));
    expect(id.disabled).toBe(false);
  });

  test('wrong password and unknown user are the same result', async () => {
    const wrong = await login(ldap, 'alice', 'nope');
    const unknown = await login(ldap, 'nobody', 'alice-password');
    expect(wrong).toMatchObject({ ok: false, reason: 'invalid_credentials' });
    expect(unknown).toMatchObject({ ok: false, reason: 'invalid_credentials' });
  });

  test('empty password fails before any network call', async () => {
    const [port] = await freePorts(1);
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const c = connector(slapdConfig(slapd, { urls: [`ldap://127.0.0.1:${port}`] }));
    try {
      expect(await login(c, 'alice', '')).toMatchObject({ ok: false, reason: 'invalid_credentials' });
      expect(connections).toBe(0);
      // The same connector does reach the network for a real attempt.
      expect(await login(c, 'alice', 'x')).toMatchObject({ ok: false, reason: 'unavailable' });
      expect(connections).toBeGreaterThan(0);
    } finally {
      await c.close();
      server.close();
    }
  });

  test.each([
    ['*', '*'],
    ['a*', 'a*'],
    ['*)(uid=*', '*)(uid=*'],
    [')(uid=*', ')(uid=*'],
    ['alice)(uid=*', 'alice)(uid=*'],
    ['alice*', 'alice*'],
    ['backslash', '\\'],
    ['escaped star', '\\2a'],
    ['alice NUL', 'alice\0'],
    ['NUL', '\0'],
    ['(|(uid=alice))', '(|(uid=alice))'],
    ['10,000 characters', 'x'.repeat(10_000)],
    ['200 characters', `alice${'*'.repeat(195)}`],
  ])('username %s never matches someone else', async (_label, username) => {
    for (const password of ['alice-password', 'abe-password', 'star-password']) {
      const r = await login(ldap, username, password);
      expect(r).toMatchObject({ ok: false, reason: 'invalid_credentials' });
    }
  });

  test('a literal * in a username matches only that user', async () => {
    const r = await login(ldap, 'star*', 'star-password');
    expect(r.ok && r.identity.userName).toBe('star*');
  });

  test('a DN with ( ) \\ and , is escaped in the group filter', async () => {
    const r = await login(ldap, 'o(k),x', 'ok-password');
    expect(r.ok && names(r.identity)).toEqual(['special']);
  });

  test('non-ASCII username is escaped and matches', async () => {
    const r = await login(ldap, 'jürgen', 'jürgen-password');
    expect(r.ok && r.identity.displayName).toBe('Jürgen Groß');
  });

  test('user disabled by an administrator is refused with the right password', async () => {
    expect(await login(ldap, 'dave', 'dave-password')).toMatchObject({ ok: false, reason: 'disabled' });
  });

  test('custom disabledFilter refuses with the right password', async () => {
    const c = connector(slapdConfig(slapd, { disabledFilter: '(employeeType=disabled)' }));
    try {
      expect(await login(c, 'erin', 'erin-password')).toMatchObject({ ok: false, reason: 'disabled' });
      expect((await login(c, 'alice', 'alice-password')).ok).toBe(true);
    } finally {
      await c.close();
    }
  });

  test('nested groups three deep and a cycle: all groups, terminates', async () => {
    const r = await login(ldap, 'alice', 'alice-password');
    expect(r.ok && names(r.identity)).toEqual(['c1', 'c2', 'g1', 'g2', 'g3']);
    const bob = await login(ldap, 'bob', 'bob-password');
    expect(bob.ok && names(bob.identity)).toEqual(['c1', 'c2', 'unrelated']);
  });

  test('nested: false gives direct groups only', async () => {
    const c = connector(
      slapdConfig(slapd, { groupSearch: { baseDN: `ou=groups,${BASE_DN}`, nested: false } }),
    );
    try {
      const r = await login(c, 'alice', 'alice-password');
      expect(r.ok && names(r.identity)).toEqual(['c1', 'g1']);
    } finally {
      await c.close();
    }
  });

  test('several username attributes: uid or mail', async () => {
    const c = connector(
      slapdConfig(slapd, { userSearch: { baseDN: `ou=people,${BASE_DN}`, username: ['uid', 'mail'] } }),
    );
    try {
      const r = await login(c, 'aa@example.org', 'alice-password');
      expect(r.ok && r.identity.userName).toBe('alice');
    } finally {
      await c.close();
    }
  });
});

describe('re-check by externalId', () => {
  test('rename and move keep the externalId; gone when out of scope', async () => {
    await slapd.add(personLdif('frank'));
    const first = await login(ldap, 'frank', 'frank-password');
    if (!first.ok) throw new Error(first.message);
    const id = first.identity.externalId;
    await slapd.add(`dn: ou=moved,ou=people,${BASE_DN}\nobjectClass: organizationalUnit\nou: moved\n\n`);
    await slapd.modify(
      `dn: ${userDn('frank')}\nchangetype: modrdn\nnewrdn: uid=franklin\ndeleteoldrdn: 1\nnewsuperior: ou=moved,ou=people,${BASE_DN}\n\n`,
    );
    const after = await ldap.refresh!.check(id);
    expect(after.status).toBe('active');
    if (after.status !== 'active') return;
    expect(after.identity.externalId).toBe(id);
    expect(after.identity.userName).toBe('franklin');
    expect(after.identity.dn).toBe(`uid=franklin,ou=moved,ou=people,${BASE_DN}`);
    await slapd.modify(
      `dn: uid=franklin,ou=moved,ou=people,${BASE_DN}\nchangetype: modrdn\nnewrdn: uid=franklin\ndeleteoldrdn: 1\nnewsuperior: ${BASE_DN}\n\n`,
    );
    expect(await ldap.refresh!.check(id)).toEqual({ status: 'gone' });
    expect(await ldap.refresh!.check('00000000-0000-0000-0000-000000000000')).toEqual({ status: 'gone' });
    expect(await ldap.refresh!.check('*')).toEqual({ status: 'gone' });
  });

  test('disabled user is reported disabled', async () => {
    const alice = await login(ldap, 'alice', 'alice-password');
    if (!alice.ok) throw new Error(alice.message);
    const dave = await ldap.refresh!.check(alice.identity.externalId);
    expect(dave.status).toBe('active');
    const sync = ldap.fullSync!.fullSync();
    let daveId = '';
    for await (const item of sync)
      if (item.kind === 'users') daveId ||= item.users.find((u) => u.userName === 'dave')?.externalId ?? '';
    expect((await ldap.refresh!.check(daveId)).status).toBe('disabled');
  });
});

describe('connections', () => {
  test('first URL down → second used', async () => {
    const [closed] = await freePorts(1);
    const c = connector(slapdConfig(slapd, { urls: [`ldap://127.0.0.1:${closed}`, slapd.url] }));
    try {
      expect((await login(c, 'alice', 'alice-password')).ok).toBe(true);
    } finally {
      await c.close();
    }
  });

  test('all URLs down → unavailable naming each', async () => {
    const [a, b] = await freePorts(2);
    const c = connector(slapdConfig(slapd, { urls: [`ldap://127.0.0.1:${a}`, `ldap://127.0.0.1:${b}`] }));
    try {
      const r = await login(c, 'alice', 'alice-password');
      expect(r).toMatchObject({ ok: false, reason: 'unavailable' });
      if (!r.ok) expect(r.message).toMatch(new RegExp(`${a}.*ECONNREFUSED.*${b}.*ECONNREFUSED`));
      expect(await c.refresh!.check('00000000-0000-0000-0000-000000000000')).toMatchObject({
        status: 'unavailable',
      });
    } finally {
      await c.close();
    }
  });

  test('a server that accepts but never answers times out; the next URL is used', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const timeouts = { connect: '300ms', operation: '300ms' };
    const c = connector(slapdConfig(slapd, { urls: [`ldap://127.0.0.1:${port}`, slapd.url], timeouts }));
    const only = connector(slapdConfig(slapd, { urls: [`ldap://127.0.0.1:${port}`], timeouts }));
    try {
      const t0 = Date.now();
      expect((await login(c, 'alice', 'alice-password')).ok).toBe(true);
      const r = await login(only, 'alice', 'alice-password');
      expect(r).toMatchObject({ ok: false, reason: 'unavailable' });
      if (!r.ok) expect(r.message).toMatch(/timed out/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await c.close();
      await only.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  test('a wrong base DN is unavailable, not an exception', async () => {
    const c = connector(slapdConfig(slapd, { userSearch: { baseDN: `ou=nowhere,${BASE_DN}` } }));
    try {
      const r = await login(c, 'alice', 'alice-password');
      expect(r).toMatchObject({ ok: false, reason: 'unavailable' });
      if (!r.ok) expect(r.message).toMatch(/NoSuchObject/i);
      const sync = await collect(c.fullSync!.fullSync());
      expect(sync.end).toMatchObject({ complete: false, reason: 'error' });
    } finally {
      await c.close();
    }
  });

  test('a dropped service connection is reopened (with TLS and bind) on next use', async () => {
    const proxy = await startProxy(slapd.port);
    const c = connector(slapdConfig(slapd, { urls: [proxy.url] }));
    try {
      expect((await login(c, 'alice', 'alice-password')).ok).toBe(true);
      proxy.cut();
      expect((await login(c, 'alice', 'alice-password')).ok).toBe(true);
      expect((await login(c, 'bob', 'bob-password')).ok).toBe(true);
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  test('LDAPS with the CA bundle', async () => {
    const c = connector(slapdConfig(slapd, { urls: [slapd.ldapsUrl], tls: { caFile: slapd.caFile } }));
    try {
      expect((await login(c, 'alice', 'alice-password')).ok).toBe(true);
    } finally {
      await c.close();
    }
  });

  test('certificate not from the CA → unavailable (no fallback to clear text)', async () => {
    const c = connector(slapdConfig(slapd, { urls: [slapd.ldapsUrl], tls: {} }));
    const s = connector(slapdConfig(slapd, { tls: { startTLS: true } }));
    try {
      const r = await login(c, 'alice', 'alice-password');
      expect(r).toMatchObject({ ok: false, reason: 'unavailable' });
      expect(await login(s, 'alice', 'alice-password')).toMatchObject({ ok: false, reason: 'unavailable' });
    } finally {
      await c.close();
      await s.close();
    }
  });

  test('hostname is checked: a certificate for another address is refused', async () => {
    const other = await startSlapd({ san: 'IP:127.0.0.2,DNS:ldap.example.org' });
    const ldaps = connector(slapdConfig(other, { urls: [other.ldapsUrl], tls: { caFile: other.caFile } }));
    const startTls = connector(slapdConfig(other));
    try {
      for (const c of [ldaps, startTls]) {
        const r = await login(c, 'alice', 'alice-password');
        expect(r).toMatchObject({ ok: false, reason: 'unavailable' });
        if (!r.ok) expect(r.message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list/);
      }
    } finally {
      await ldaps.close();
      await startTls.close();
      await other.stop();
    }
  });

  test('plain ldap:// only with insecureNoTLS', async () => {
    expect(() => connector(slapdConfig(slapd, { tls: {} }))).toThrow(
      /urls\[0\]: ldap:\/\/ needs tls.startTLS/,
    );
    const c = connector(slapdConfig(slapd, { tls: { insecureNoTLS: true } }));
    try {
      expect((await login(c, 'alice', 'alice-password')).ok).toBe(true);
    } finally {
      await c.close();
    }
  });

  test('dialect auto reads the rootDSE', async () => {
    const c = connector(slapdConfig(slapd, { dialect: 'auto' }));
    try {
      expect((await login(c, 'alice', 'alice-password')).ok).toBe(true);
    } finally {
      await c.close();
    }
  });

  test('concurrent sign-ins share the service connection', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        login(ldap, i % 2 ? 'alice' : 'bob', i % 2 ? 'alice-password' : 'bob-password'),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
  });
});
