import { describe, expect, test } from 'vitest';
import { formatChange, formatSummary } from '../../src/apply/apply.ts';
import { formatPrincipal, parsePrincipal } from '../../src/apply/principals.ts';
import { formatPath } from '../../src/apply/problems.ts';
import { isArgon2idHash } from '../../src/auth/credentials.ts';
import { HASH_A, HASH_B } from './support.ts';

describe('apply, piece by piece', () => {
  test('argon2id PHC strings: well-formed ones pass, anything else does not', () => {
    expect(isArgon2idHash(HASH_A)).toBe(true);
    expect(isArgon2idHash(HASH_B)).toBe(true);
    for (const bad of [
      '',
      'hunter2',
      HASH_A.replace('argon2id', 'argon2i'),
      HASH_A.replace('v=19', 'v=16'),
      HASH_A.replace('m=19456', 'm=4'), // below 8 × p
      HASH_A.replace('p=1', 'p=0'),
      HASH_A.replace('t=2', 't=0'),
      HASH_A.replace('c29tZXNhbHRzb21lc2FsdA', 'c2FsdA'), // salt under 8 bytes
      HASH_A.slice(0, -30), // hash under 16 bytes
      `${HASH_A}=`,
      `${HASH_A}\n`,
      ` ${HASH_A}`,
      '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
      `${HASH_A.slice(0, 40)}${'A'.repeat(600)}`,
    ]) {
      expect(isArgon2idHash(bad), bad).toBe(false);
    }
  });

  test('principals: user:NAME, group:NAME, group:CONNECTOR/NAME', () => {
    expect(parsePrincipal('user:alice')).toEqual({ kind: 'user', name: 'alice' });
    expect(parsePrincipal('group:platform team')).toEqual({ kind: 'group', name: 'platform team' });
    expect(parsePrincipal('group:corp-ad/Engineering')).toEqual({
      kind: 'directoryGroup',
      connector: 'corp-ad',
      name: 'Engineering',
    });
    for (const bad of [
      'alice',
      'user:',
      'user:a b',
      'user: alice',
      'role:x',
      'group:',
      'group:/x',
      'group:a/',
      'group:a b/c',
      'group:a/b/c',
      'group: x',
    ]) {
      expect(parsePrincipal(bad), bad).toBeUndefined();
    }
    expect(formatPrincipal(parsePrincipal('group:corp-ad/Engineering')!)).toBe('group:corp-ad/Engineering');
  });

  test('paths and plan lines', () => {
    expect(formatPath(['users', 2, 'password'])).toBe('users[2].password');
    expect(formatPath(['users', 0, 'attributes', 'cost center'])).toBe('users[0].attributes["cost center"]');
    expect(formatPath([])).toBe('');
    const run = async () => {};
    expect(formatChange({ op: '+', subject: 'user alice', run })).toBe('+ user alice');
    expect(formatChange({ op: '~', subject: 'user bob', detail: 'displayName, emails', run })).toBe(
      '~ user bob: displayName, emails',
    );
    expect(formatChange({ op: '-', subject: 'user dave', detail: 'deprovision', run })).toBe(
      '- user dave (deprovision)',
    );
    expect([formatSummary(0, false), formatSummary(1, false), formatSummary(2, true)]).toEqual([
      '0 changes',
      '1 change',
      '2 changes (dry run: nothing was changed)',
    ]);
  });
});
