// Pure rules of the sync: the safety threshold, the schedule, the profile mapping.
import { describe, expect, test } from 'vitest';
import type { User as DirectoryUser } from '../../connectors/types.ts';
import type { User } from '../../src/directory/users.ts';
import { profileChanges, toProfile } from '../../src/sync/profile.ts';
import { decide } from '../../src/sync/safety.ts';
import { dueKind, tickInterval } from '../../src/sync/schedule.ts';
import type { LastRun } from '../../src/sync/state.ts';
import { zeroCounts } from '../../src/sync/types.ts';

describe('safety threshold', () => {
  test('nothing to remove is always applied', () => {
    expect(decide({ disable: 0, deprovision: 0 }, 0, 0)).toEqual({ apply: true, by: 'nothing' });
  });
  test('up to the limit is applied, one more is held', () => {
    expect(decide({ disable: 1, deprovision: 1 }, 20, 10)).toEqual({ apply: true, by: 'threshold' });
    expect(decide({ disable: 2, deprovision: 1 }, 20, 10)).toEqual({ apply: false, percent: 15 });
    expect(decide({ disable: 0, deprovision: 1 }, 1, 10)).toEqual({ apply: false, percent: 100 });
    expect(decide({ disable: 0, deprovision: 1 }, 1000, 0)).toEqual({ apply: false, percent: 0.1 });
    expect(decide({ disable: 0, deprovision: 1000 }, 1000, 100)).toEqual({ apply: true, by: 'threshold' });
  });
  test('a confirmation allows up to the confirmed amounts of each kind, no more', () => {
    const allowance = { disable: 2, deprovision: 10 };
    expect(decide({ disable: 2, deprovision: 10 }, 20, 10, allowance)).toEqual({
      apply: true,
      by: 'confirmation',
    });
    expect(decide({ disable: 0, deprovision: 8 }, 20, 10, allowance)).toEqual({
      apply: true,
      by: 'confirmation',
    });
    expect(decide({ disable: 3, deprovision: 10 }, 20, 10, allowance).apply).toBe(false);
    expect(decide({ disable: 0, deprovision: 11 }, 20, 10, allowance).apply).toBe(false);
  });
});

describe('schedule', () => {
  const policy = { incrementalMs: 60_000, fullMs: 6 * 3_600_000 };
  const run = (
    kind: 'full' | 'incremental',
    agoMs: number,
    outcome: LastRun['outcome'] = 'applied',
  ): LastRun => ({
    connectorId: 'c',
    kind,
    runId: 'r',
    trigger: 'schedule',
    startedAt: new Date(now - agoMs),
    finishedAt: new Date(now - agoMs + 1000),
    durationMs: 1000,
    outcome,
    complete: outcome !== 'incomplete',
    counts: zeroCounts(),
    error: null,
  });
  const now = Date.parse('2026-01-01T12:00:00Z');

  test('ticks at the shorter interval; incremental 0 means full syncs only', () => {
    expect(tickInterval(policy)).toBe(60_000);
    expect(tickInterval({ incrementalMs: 0, fullMs: 3_600_000 })).toBe(3_600_000);
  });
  test('a full sync first, then when it is due; incremental in between', () => {
    expect(dueKind({}, policy, now)).toBe('full');
    expect(dueKind({ full: run('full', 30_000) }, policy, now)).toBeNull();
    expect(dueKind({ full: run('full', 61_000) }, policy, now)).toBe('incremental');
    expect(
      dueKind({ full: run('full', 3_600_000), incremental: run('incremental', 10_000) }, policy, now),
    ).toBeNull();
    expect(
      dueKind({ full: run('full', 3_600_000), incremental: run('incremental', 58_000) }, policy, now),
    ).toBe('incremental');
    expect(
      dueKind({ full: run('full', 6 * 3_600_000), incremental: run('incremental', 1_000) }, policy, now),
    ).toBe('full');
    expect(dueKind({ full: run('full', 3_600_000, 'held') }, policy, now)).toBe('incremental');
  });
  test('a failed or incomplete full sync is retried sooner than the full interval', () => {
    expect(dueKind({ full: run('full', 301_000, 'failed') }, policy, now)).toBe('full');
    expect(dueKind({ full: run('full', 301_000, 'incomplete') }, policy, now)).toBe('full');
    expect(dueKind({ full: run('full', 120_000, 'incomplete') }, policy, now)).toBe('incremental');
  });
});

describe('profile mapping', () => {
  const d: DirectoryUser = {
    externalId: 'e1',
    userName: ' alice ',
    displayName: `Alice\u0007 ${'A'.repeat(300)}`,
    givenName: 'Alice',
    familyName: null,
    emails: ['alice@example.org', 'not an email', 'alice@example.org', 'a@b'],
    attributes: { department: ['R&D', 'Ops'], empty: [], 'bad name!': ['x'], long: ['x'.repeat(300)] },
    disabled: false,
    dn: 'uid=alice,ou=people,dc=example,dc=org',
  };

  test('keeps what Gatehouse can hold: valid emails, joined attribute values, cut names', () => {
    const p = toProfile(d);
    expect(p.userName).toBe('alice');
    expect(p.displayName).toHaveLength(256);
    expect(p.displayName!.startsWith('Alice  AAA')).toBe(true);
    expect(p.emails).toEqual(['alice@example.org', 'a@b']);
    expect(p.attributes).toEqual({ department: 'R&D,Ops' });
  });

  test('changes lists only what differs', () => {
    const p = toProfile({ ...d, displayName: 'Alice', attributes: {} });
    const current = {
      userName: 'alice',
      displayName: 'Alice',
      givenName: 'Alice',
      familyName: null,
      emails: [{ value: 'alice@example.org' }, { value: 'a@b' }],
      attributes: {},
    } as unknown as User;
    expect(profileChanges(current, p)).toBeUndefined();
    expect(profileChanges({ ...current, familyName: 'X' }, p)).toEqual({ familyName: null });
    expect(profileChanges({ ...current, emails: [{ value: 'a@b' }] }, p)).toEqual({
      emails: ['alice@example.org', 'a@b'],
    });
  });
});
