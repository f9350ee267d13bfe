import { createLdapConnector, parseLdapConfig } from '../../../connectors/ldap/index.ts';
import type { Connector, Group, SyncEnd, SyncItem, User } from '../../../connectors/types.ts';
import { BASE_DN, SERVICE_DN, SERVICE_PASSWORD, type Slapd } from '../../support/slapd.ts';

/** Connector config for a test slapd; StartTLS with the fixture's CA unless overridden. */
export function slapdConfig(s: Slapd, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'test-ldap',
    type: 'ldap',
    urls: [s.url],
    bindDN: SERVICE_DN,
    bindPassword: SERVICE_PASSWORD,
    tls: { caFile: s.caFile, startTLS: true },
    timeouts: { connect: '2s', operation: '10s' },
    dialect: 'openldap',
    userSearch: { baseDN: `ou=people,${BASE_DN}`, attributes: { department: 'departmentNumber' } },
    groupSearch: { baseDN: `ou=groups,${BASE_DN}` },
    ...overrides,
  };
}

export function connector(config: Record<string, unknown>): Connector {
  return createLdapConnector(parseLdapConfig(config));
}

export interface Collected {
  users: User[];
  groups: Group[];
  userBatches: number[];
  end: SyncEnd | undefined;
  /** Items after the end marker (must be none). */
  trailing: number;
}

export async function collect(items: AsyncIterable<SyncItem>): Promise<Collected> {
  const out: Collected = { users: [], groups: [], userBatches: [], end: undefined, trailing: 0 };
  for await (const item of items) {
    if (out.end) out.trailing++;
    else if (item.kind === 'users') {
      out.users.push(...item.users);
      out.userBatches.push(item.users.length);
    } else if (item.kind === 'groups') out.groups.push(...item.groups);
    else out.end = item;
  }
  return out;
}
