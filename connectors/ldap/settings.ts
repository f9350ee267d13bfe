// Effective search settings: the configuration with dialect defaults filled in.
import type { LdapConfig } from './config.ts';

export type Dialect = 'active-directory' | 'openldap';

export interface UserSettings {
  baseDN: string;
  scope: 'sub' | 'one';
  filter: string;
  usernameAttributes: string[];
  idAttribute: string;
  displayName: string;
  givenName: string;
  familyName: string;
  emailAttributes: string[];
  extra: Record<string, string>;
}

export interface GroupSettings {
  baseDN: string;
  scope: 'sub' | 'one';
  filter: string;
  memberAttribute: 'member' | 'uniqueMember' | 'memberUid';
  nameAttribute: string;
  idAttribute: string;
  nested: boolean;
}

export interface Settings {
  dialect: Dialect;
  user: UserSettings;
  group: GroupSettings | null;
  disabledFilter: string;
  /** Attribute holding an entry's own DN, usable in equality filters. */
  dnAttribute: string;
  /** Attribute that orders changes (incremental sync). */
  changeAttribute: string;
  pageSize: number;
}

/** rootDSE markers of Active Directory (and Samba AD). */
export const AD_CAPABILITY = '1.2.840.113556.1.4.800';

export function detectDialect(rootDSE: Record<string, string[]>): Dialect {
  const caps = rootDSE['supportedcapabilities'] ?? [];
  const has = (a: string) => (rootDSE[a]?.length ?? 0) > 0;
  if (caps.includes(AD_CAPABILITY) || has('forestfunctionality') || has('isglobalcatalogready')) {
    return 'active-directory';
  }
  return 'openldap';
}

const DEFAULTS = {
  'active-directory': {
    userFilter: '(&(objectCategory=person)(objectClass=user))',
    username: ['sAMAccountName', 'userPrincipalName'],
    id: 'objectGUID',
    groupFilter: '(objectClass=group)',
    // userAccountControl has ACCOUNTDISABLE (0x2) set.
    disabledFilter: '(userAccountControl:1.2.840.113556.1.4.803:=2)',
    dnAttribute: 'distinguishedName',
    changeAttribute: 'uSNChanged',
  },
  openldap: {
    userFilter: '(objectClass=inetOrgPerson)',
    username: ['uid'],
    id: 'entryUUID',
    groupFilter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))',
    // ppolicy's "locked by an administrator" value; lockouts after failed binds expire and are not "disabled".
    disabledFilter: '(pwdAccountLockedTime=000001010000Z)',
    dnAttribute: 'entryDN',
    changeAttribute: 'modifyTimestamp',
  },
} as const;

export function resolveSettings(config: LdapConfig, dialect: Dialect): Settings {
  const d = DEFAULTS[dialect];
  const u = config.userSearch;
  const g = config.groupSearch;
  return {
    dialect,
    user: {
      baseDN: u.baseDN,
      scope: u.scope,
      filter: u.filter ?? d.userFilter,
      usernameAttributes: u.username ?? [...d.username],
      idAttribute: u.idAttribute ?? d.id,
      displayName: u.displayName ?? 'displayName',
      givenName: u.givenName ?? 'givenName',
      familyName: u.familyName ?? 'sn',
      emailAttributes: u.email ?? ['mail'],
      extra: u.attributes,
    },
    group: g
      ? {
          baseDN: g.baseDN,
          scope: g.scope,
          filter: g.filter ?? d.groupFilter,
          memberAttribute: g.memberAttribute ?? 'member',
          nameAttribute: g.nameAttribute ?? 'cn',
          idAttribute: g.idAttribute ?? d.id,
          nested: g.nested,
        }
      : null,
    disabledFilter: config.disabledFilter ?? d.disabledFilter,
    dnAttribute: d.dnAttribute,
    changeAttribute: d.changeAttribute,
    pageSize: config.pageSize,
  };
}
