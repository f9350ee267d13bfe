// Configuration validation: strict, defaults, errors that name the key.
import { describe, expect, test } from 'vitest';
import { parseLdapConfig } from '../../../connectors/ldap/config.ts';
import { createConnector } from '../../../connectors/registry.ts';

const base = {
  id: 'corp',
  type: 'ldap',
  urls: ['ldaps://dc1.corp.example:636', 'ldaps://dc2.corp.example'],
  bindDN: 'CN=gatehouse,OU=Service,DC=corp,DC=example',
  bindPassword: 'x',
  userSearch: { baseDN: 'OU=People,DC=corp,DC=example' },
};

const error = (input: unknown): string => {
  try {
    parseLdapConfig(input, 'connectors[0]');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
};

describe('LDAP connector configuration', () => {
  test('defaults', () => {
    const c = parseLdapConfig(base);
    expect(c.dialect).toBe('auto');
    expect(c.timeouts).toEqual({ connect: 5000, operation: 15000 });
    expect(c.sync).toEqual({ incremental: 10_000, full: 21_600_000, maxDeprovisionPercent: 10 });
    expect(c.tls).toEqual({ startTLS: false, insecureNoTLS: false });
    expect(c.pageSize).toBe(500);
    expect(c.userSearch.scope).toBe('sub');
  });

  test('durations, username lists and mappings', () => {
    const c = parseLdapConfig({
      ...base,
      sync: { incremental: '30s', full: '1h', maxDeprovisionPercent: 5 },
      userSearch: {
        ...base.userSearch,
        username: ['sAMAccountName', 'userPrincipalName'],
        email: 'mail',
        attributes: { team: 'department' },
      },
      groupSearch: { baseDN: 'OU=Groups,DC=corp,DC=example', memberAttribute: 'member', nested: false },
    });
    expect(c.sync).toEqual({ incremental: 30_000, full: 3_600_000, maxDeprovisionPercent: 5 });
    expect(c.userSearch.username).toEqual(['sAMAccountName', 'userPrincipalName']);
    expect(c.userSearch.email).toEqual(['mail']);
    expect(c.groupSearch?.nested).toBe(false);
  });

  test.each([
    [{ ...base, extra: 1 }, /connectors\[0\]: Unrecognized key: "extra"/],
    [
      { ...base, userSearch: { baseDN: 'x', filtr: '(a=b)' } },
      /connectors\[0\]\.userSearch: Unrecognized key: "filtr"/,
    ],
    [{ ...base, userSearch: {} }, /connectors\[0\]\.userSearch\.baseDN:/],
    [{ ...base, urls: [] }, /connectors\[0\]\.urls:/],
    [{ ...base, urls: ['http://x'] }, /connectors\[0\]\.urls\[0\]: expected ldap:\/\//],
    [{ ...base, urls: ['ldap://x'] }, /connectors\[0\]\.urls\[0\]: ldap:\/\/ needs tls\.startTLS/],
    [{ ...base, tls: { startTLS: true } }, /connectors\[0\]\.tls\.startTLS: StartTLS applies to ldap:\/\//],
    [{ ...base, bindPassword: undefined }, /connectors\[0\]\.bindPassword: set exactly one of/],
    [{ ...base, bindPasswordFile: '/x' }, /connectors\[0\]\.bindPassword: set exactly one of/],
    [
      { ...base, userSearch: { baseDN: 'x', filter: '(objectClass=user' } },
      /userSearch\.filter: invalid LDAP filter/,
    ],
    [{ ...base, disabledFilter: 'x=y' }, /connectors\[0\]\.disabledFilter: invalid LDAP filter/],
    [
      { ...base, userSearch: { baseDN: 'x', username: ['uid)(x'] } },
      /userSearch\.username(\[0\])?: not an LDAP attribute name/,
    ],
    [{ ...base, sync: { full: '6 hours' } }, /connectors\[0\]\.sync\.full: expected a duration/],
    [{ ...base, pageSize: 5000 }, /connectors\[0\]\.pageSize:/],
    [{ ...base, dialect: 'novell' }, /connectors\[0\]\.dialect:/],
    [{ ...base, groupSearch: { baseDN: 'x', memberAttribute: 'members' } }, /groupSearch\.memberAttribute:/],
  ])('%# rejects with the key named', (input, message) => {
    expect(error(input)).toMatch(message);
  });

  test('registry: unknown type is named, known type is built', async () => {
    expect(() => createConnector({ type: 'nis' }, 'connectors[2]')).toThrow(
      /connectors\[2\]\.type: expected one of ldap/,
    );
    const c = createConnector({ ...base, dialect: 'openldap' });
    expect(c.type).toBe('ldap');
    expect(c.syncPolicy.maxDeprovisionPercent).toBe(10);
    expect(typeof c.password?.login).toBe('function');
    await c.close();
  });
});
