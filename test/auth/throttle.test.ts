import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  currentRecord,
  EMPTY_THROTTLE_RECORD,
  isLocked,
  lockDurationMs,
  lockRemainingMs,
  recordFailure,
  recordSuccess,
  THROTTLE_DEFAULTS,
  type ThrottleRecord,
} from '../../src/auth/throttle.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const account = THROTTLE_DEFAULTS.account;

/** The sign-in step as the DB-backed caller will do it: the lock is looked at before the password. */
function signIn(record: ThrottleRecord, now: number, correct: boolean, checked: { count: number }) {
  if (isLocked(record, now)) return { outcome: 'locked' as const, record };
  checked.count++; // the only place a hash would be verified
  return correct
    ? { outcome: 'ok' as const, record: recordSuccess() }
    : { outcome: 'wrong' as const, record: recordFailure(record, now, account) };
}

describe('account throttle', () => {
  test('the 6th wrong password in a row is refused as locked, without checking the hash', () => {
    const checked = { count: 0 };
    let record: ThrottleRecord = EMPTY_THROTTLE_RECORD;
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const step = signIn(record, i * SECOND, false, checked);
      outcomes.push(step.outcome);
      record = step.record;
    }
    expect(outcomes).toEqual(['wrong', 'wrong', 'wrong', 'wrong', 'wrong', 'locked']);
    expect(checked.count).toBe(5);
    // Even the right password is refused while the lock lasts.
    expect(signIn(record, 5 * SECOND, true, checked).outcome).toBe('locked');
    expect(checked.count).toBe(5);
    expect(record).toEqual({ failures: 5, lastFailureAt: 4 * SECOND, lockedUntil: 4 * SECOND + 30 * SECOND });
    expect(lockRemainingMs(record, 10 * SECOND)).toBe(24 * SECOND);
  });

  test('locks grow exponentially from 30 s and are capped at 15 minutes', () => {
    expect([4, 5, 6, 7, 8, 9, 10, 11, 1000].map((n) => lockDurationMs(n, account) / SECOND)).toEqual([
      0, 30, 60, 120, 240, 480, 900, 900, 900,
    ]);
    // Through the record: every failure after a lock has expired locks again, twice as long.
    let record: ThrottleRecord = EMPTY_THROTTLE_RECORD;
    let now = 0;
    const locks: number[] = [];
    for (let i = 0; i < 12; i++) {
      record = recordFailure(record, now, account);
      if (record.lockedUntil !== null && isLocked(record, now)) {
        locks.push((record.lockedUntil - now) / SECOND);
        now = record.lockedUntil; // the attacker waits the lock out
      } else now += SECOND;
    }
    expect(locks).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });

  test('failures are forgotten after 15 quiet minutes, counted from the last failure or the end of a lock', () => {
    let record: ThrottleRecord = EMPTY_THROTTLE_RECORD;
    for (let i = 0; i < 4; i++) record = recordFailure(record, i * SECOND, account);
    expect(recordFailure(record, 3 * SECOND + 15 * MINUTE - 1, account).failures).toBe(5);
    expect(recordFailure(record, 3 * SECOND + 15 * MINUTE, account)).toEqual({
      failures: 1,
      lastFailureAt: 3 * SECOND + 15 * MINUTE,
      lockedUntil: null,
    });
    expect(currentRecord(record, 3 * SECOND + 15 * MINUTE, account)).toEqual(EMPTY_THROTTLE_RECORD);
    expect(currentRecord(record, 3 * SECOND, account)).toBe(record);

    // A lock longer than the quiet window does not end in a fresh start.
    const long = { ...account, maxLockMs: 60 * MINUTE, baseLockMs: 60 * MINUTE };
    let locked: ThrottleRecord = EMPTY_THROTTLE_RECORD;
    for (let i = 0; i < 5; i++) locked = recordFailure(locked, 0, long);
    expect(locked.lockedUntil).toBe(60 * MINUTE);
    expect(recordFailure(locked, 60 * MINUTE, long).failures).toBe(6);
    expect(recordFailure(locked, 75 * MINUTE, long).failures).toBe(1);
  });

  test('a success resets everything', () => {
    let record: ThrottleRecord = EMPTY_THROTTLE_RECORD;
    for (let i = 0; i < 4; i++) record = recordFailure(record, i, account);
    record = recordSuccess();
    expect(record).toEqual(EMPTY_THROTTLE_RECORD);
    for (let i = 0; i < 4; i++) record = recordFailure(record, 10 + i, account);
    expect(isLocked(record, 20)).toBe(false);
    expect(record.failures).toBe(4);
  });

  test('a failure never shortens a lock (a node whose clock is behind)', () => {
    let record: ThrottleRecord = EMPTY_THROTTLE_RECORD;
    for (let i = 0; i < 10; i++) record = recordFailure(record, 100 * MINUTE, account);
    expect(record.lockedUntil).toBe(115 * MINUTE);
    expect(recordFailure(record, 99 * MINUTE, account).lockedUntil).toBe(115 * MINUTE);
  });
});

describe('client address throttle', () => {
  test('50 failures lock the address for a minute; its own thresholds, the same functions', () => {
    const ip = THROTTLE_DEFAULTS.clientIp;
    let record: ThrottleRecord = EMPTY_THROTTLE_RECORD;
    for (let i = 0; i < 49; i++) record = recordFailure(record, i * 10 * SECOND, ip);
    expect(isLocked(record, 490 * SECOND)).toBe(false);
    record = recordFailure(record, 490 * SECOND, ip);
    expect(isLocked(record, 490 * SECOND)).toBe(true);
    expect(lockRemainingMs(record, 490 * SECOND)).toBe(MINUTE);
    expect(lockDurationMs(51, ip)).toBe(2 * MINUTE);
    expect(lockDurationMs(60, ip)).toBe(15 * MINUTE);
  });
});

describe('properties', () => {
  const settings = fc.record({
    maxFailures: fc.integer({ min: 1, max: 60 }),
    baseLockMs: fc.integer({ min: 1, max: 10 * MINUTE }),
    maxLockMs: fc.integer({ min: 1, max: 24 * 60 * MINUTE }),
    quietWindowMs: fc.integer({ min: 0, max: 24 * 60 * MINUTE }),
  });
  // Events at times that mostly move forward but may step back (clocks of different nodes).
  const events = fc.array(
    fc.record({ dt: fc.integer({ min: -MINUTE, max: 30 * MINUTE }), success: fc.boolean() }),
    { maxLength: 80 },
  );

  test('never unlocked before lockedUntil; a failure never shortens a lock; locks only at maxFailures', () => {
    fc.assert(
      fc.property(settings, events, fc.integer({ min: 0, max: 2 ** 40 }), (s, steps, start) => {
        let record: ThrottleRecord = EMPTY_THROTTLE_RECORD;
        let now = start;
        for (const { dt, success } of steps) {
          now += dt;
          if (success) {
            record = recordSuccess();
            continue;
          }
          const before = record;
          record = recordFailure(before, now, s);
          if (isLocked(before, now)) expect(record.lockedUntil).toBeGreaterThanOrEqual(before.lockedUntil!);
          if (record.failures < s.maxFailures) expect(isLocked(record, now)).toBe(false);
          if (record.lockedUntil !== null) {
            const until = record.lockedUntil;
            for (const t of [now, until - 1, Math.floor((now + until) / 2)]) {
              if (t < until) expect(isLocked(record, t)).toBe(true);
            }
            expect(isLocked(record, until)).toBe(false);
            expect(lockRemainingMs(record, until - 1)).toBe(1);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  test('isLocked(record, t) is true for every t < lockedUntil and false from lockedUntil on', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
        (until, t) => {
          const record = { failures: 5, lastFailureAt: 0, lockedUntil: until };
          expect(isLocked(record, t)).toBe(t < until);
          expect(lockRemainingMs(record, t)).toBe(t < until ? until - t : 0);
        },
      ),
    );
  });
});
