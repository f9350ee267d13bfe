// Sync scenarios against one shared slapd: each scenario lives in its own OUs (people and groups)
// with its own connector id, so scenarios share a server and a database without seeing each other.

import { afterAll, beforeAll } from 'vitest';
import { createLdapConnector, parseLdapConfig } from '../../connectors/ldap/index.ts';
import type { Connector } from '../../connectors/types.ts';
import { findUserByExternalId, type User } from '../../src/directory/users.ts';
import type { Db } from '../../src/store/db.ts';
import { runSync } from '../../src/sync/engine.ts';
import type { RunOptions, SyncRun } from '../../src/sync/types.ts';
import { BASE_DN, SERVICE_DN, SERVICE_PASSWORD, type Slapd, startSlapd, toLdif } from '../support/slapd.ts';

export interface Scenario {
  id: string;
  peopleDn: string;
  groupsDn: string;
  connector: Connector;
  /** Another connector for the same directory (same id: same source) with other settings. */
  variant(overrides: Record<string, unknown>): Connector;
  uid(n: number): string;
  userDn(n: number): string;
  groupDn(name: string): string;
  /** The Gatehouse user of directory user n (by its entryUUID). */
  user(db: Db, n: number): Promise<User>;
  entryUuid(n: number): Promise<string>;
  sync(db: Db, kind?: 'full' | 'incremental', options?: Partial<RunOptions>): Promise<SyncRun>;
  close(): Promise<void>;
}

export interface ScenarioOptions {
  users?: number;
  /** Group name → members: numbers are users, strings are other groups of the scenario. */
  groups?: Record<string, (number | string)[]>;
  config?: Record<string, unknown>;
}

/** The default shape: 20 users; all ⊃ platform ⊃ eng (a chain three deep). */
export const CHAIN = { eng: [1, 2, 3, 4, 5], platform: ['eng', 6], all: ['platform'] };

export async function scenario(slapd: Slapd, id: string, options: ScenarioOptions = {}): Promise<Scenario> {
  const users = options.users ?? 20;
  const groups = options.groups ?? CHAIN;
  const peopleDn = `ou=${id},ou=people,${BASE_DN}`;
  const groupsDn = `ou=${id},ou=groups,${BASE_DN}`;
  const uid = (n: number) => `${id}u${String(n).padStart(2, '0')}`;
  const userDn = (n: number) => `uid=${uid(n)},${peopleDn}`;
  const groupDn = (name: string) => `cn=${id}-${name},${groupsDn}`;
  let ldif =
    toLdif(peopleDn, { objectClass: 'organizationalUnit', ou: id }) +
    toLdif(groupsDn, { objectClass: 'organizationalUnit', ou: id });
  for (let n = 1; n <= users; n++)
    ldif += toLdif(userDn(n), {
      objectClass: 'inetOrgPerson',
      uid: uid(n),
      cn: `User ${n}`,
      sn: `Surname${n}`,
      givenName: `Given${n}`,
      displayName: `User ${n} of ${id}`,
      mail: `${uid(n)}@example.org`,
      userPassword: `${uid(n)}-password`,
    });
  for (const [name, members] of Object.entries(groups))
    ldif += toLdif(groupDn(name), {
      objectClass: 'groupOfNames',
      cn: `${id}-${name}`,
      member: members.length
        ? members.map((m) => (typeof m === 'number' ? userDn(m) : groupDn(m)))
        : [`cn=nobody,${BASE_DN}`],
    });
  await slapd.add(ldif);
  const config = (overrides: Record<string, unknown>) =>
    parseLdapConfig({
      id,
      type: 'ldap',
      urls: [slapd.url],
      bindDN: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      tls: { caFile: slapd.caFile, startTLS: true },
      timeouts: { connect: '2s', operation: '10s' },
      dialect: 'openldap',
      userSearch: { baseDN: peopleDn },
      groupSearch: { baseDN: groupsDn },
      ...options.config,
      ...overrides,
    });
  const connector = createLdapConnector(config({}));
  const variants: Connector[] = [];
  const entryUuid = async (n: number): Promise<string> => {
    const r = await connector.password!.login(uid(n), `${uid(n)}-password`);
    if (!r.ok) throw new Error(`cannot read ${uid(n)}: ${r.message}`);
    return r.identity.externalId;
  };
  return {
    id,
    peopleDn,
    groupsDn,
    connector,
    variant(overrides) {
      const c = createLdapConnector(config(overrides));
      variants.push(c);
      return c;
    },
    uid,
    userDn,
    groupDn,
    entryUuid,
    async user(db, n) {
      const user = await findUserByExternalId(db, `ldap:${id}`, await entryUuid(n));
      if (!user) throw new Error(`no Gatehouse user for ${uid(n)}`);
      return user;
    },
    sync: (db, kind = 'full', opts = {}) => runSync({ db }, connector, { kind, trigger: 'cli', ...opts }),
    async close() {
      await connector.close();
      for (const v of variants) await v.close();
    },
  };
}

export const lockLdif = (dn: string) =>
  `dn: ${dn}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n\n`;
export const unlockLdif = (dn: string) => `dn: ${dn}\nchangetype: modify\ndelete: pwdAccountLockedTime\n\n`;
export const deleteLdif = (dn: string) => `dn: ${dn}\nchangetype: delete\n\n`;
export const replaceLdif = (dn: string, attribute: string, value: string) =>
  `dn: ${dn}\nchangetype: modify\nreplace: ${attribute}\n${attribute}: ${value}\n\n`;

/** Users of a scenario's source by status. */
export async function statusCounts(db: Db, id: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from users where source = $1 group by status',
    [`ldap:${id}`],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** One second passes: OpenLDAP timestamps (the incremental mark) have one-second resolution. */
export const nextSecond = () => new Promise((r) => setTimeout(r, 1100));

export const moveLdif = (dn: string, rdn: string, newSuperior: string) =>
  `dn: ${dn}\nchangetype: modrdn\nnewrdn: ${rdn}\ndeleteoldrdn: 1\nnewsuperior: ${newSuperior}\n\n`;

/**
 * One slapd for a test file, started before its tests and stopped after, with the scenarios made
 * on it closed first. `slapd()` is the running server; `make` builds a scenario on it.
 */
export function useSlapdScenarios(): {
  slapd(): Slapd;
  make(id: string, options?: ScenarioOptions): Promise<Scenario>;
} {
  let slapd: Slapd | undefined;
  const scenarios: Scenario[] = [];
  beforeAll(async () => {
    slapd = await startSlapd();
  });
  afterAll(async () => {
    for (const s of scenarios) await s.close();
    await slapd?.stop();
  });
  return {
    slapd: () => slapd!,
    async make(id, options) {
      const s = await scenario(slapd!, id, options);
      scenarios.push(s);
      return s;
    },
  };
}
