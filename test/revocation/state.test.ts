import { describe, expect, test } from 'vitest';
import { createRevocationState } from '../../src/revocation/state.ts';

const fresh = () => {
  const s = createRevocationState({ staleAfter: 30_000, window: 3_600_000 });
  s.reconciled();
  return s;
};

describe('revocation state', () => {
  test('a user revocation kills what was issued before it, not after', () => {
    const s = fresh();
    s.apply({ kind: 'user', userId: 'u1', notBefore: 1_000 });
    expect(s.check({ userId: 'u1', issuedAt: 999 })).toBe('user');
    expect(s.check({ userId: 'u1', issuedAt: 1_000 })).toBeUndefined();
    expect(s.check({ userId: 'u2', issuedAt: 1 })).toBeUndefined();
  });

  test('revocations only move forward: an older notice replayed late changes nothing', () => {
    const s = fresh();
    s.apply({ kind: 'user', userId: 'u1', notBefore: 2_000 });
    s.apply({ kind: 'user', userId: 'u1', notBefore: 1_000 });
    expect(s.check({ userId: 'u1', issuedAt: 1_500 })).toBe('user');
  });

  test('sessions, assignments and permission-set versions are judged separately', () => {
    const s = fresh();
    s.apply({ kind: 'session', sessionId: 's1', until: Date.now() + 60_000 });
    s.apply({ kind: 'assignment', userId: 'u', accountId: 'a', permissionSetId: 'p', notBefore: 5_000 });
    s.apply({ kind: 'permission_set', permissionSetId: 'q', minVersion: 3 });
    expect(s.check({ userId: 'u', issuedAt: 1, sessionId: 's1' })).toBe('session');
    expect(s.check({ userId: 'u', issuedAt: 1, sessionId: 's2' })).toBeUndefined();
    const cred = {
      userId: 'u',
      issuedAt: 4_999,
      accountId: 'a',
      permissionSetId: 'p',
      permissionSetVersion: 1,
    };
    expect(s.check(cred)).toBe('assignment');
    expect(s.check({ ...cred, issuedAt: 5_000 })).toBeUndefined();
    expect(s.check({ ...cred, accountId: 'b' })).toBeUndefined();
    const q = { userId: 'u', issuedAt: 1, accountId: 'a', permissionSetId: 'q' };
    expect(s.check({ ...q, permissionSetVersion: 2 })).toBe('permission_set');
    expect(s.check({ ...q, permissionSetVersion: 3 })).toBeUndefined();
  });

  test('fails closed before the first reconcile and when reconciling stopped', () => {
    const s = createRevocationState({ staleAfter: 30_000, window: 3_600_000 });
    expect(s.check({ userId: 'u', issuedAt: Date.now() })).toBe('stale');
    s.reconciled(Date.now() - 31_000);
    expect(s.check({ userId: 'u', issuedAt: Date.now() })).toBe('stale');
    s.reconciled();
    expect(s.check({ userId: 'u', issuedAt: Date.now() })).toBeUndefined();
  });

  test('prune forgets what nothing alive can predate, and ended sessions', () => {
    const s = fresh();
    const now = Date.now();
    s.apply({ kind: 'user', userId: 'old', notBefore: now - 7_200_000 });
    s.apply({ kind: 'user', userId: 'new', notBefore: now - 60_000 });
    s.apply({ kind: 'session', sessionId: 'over', until: now - 1 });
    s.apply({ kind: 'session', sessionId: 'live', until: now + 60_000 });
    s.prune(now);
    expect(s.size()).toBe(2);
    expect(s.check({ userId: 'new', issuedAt: now - 120_000 })).toBe('user');
    expect(s.check({ userId: 'x', issuedAt: 0, sessionId: 'live' })).toBe('session');
  });
});
