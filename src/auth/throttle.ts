// Brute-force protection as pure functions over a small record that the caller stores (one per
// account, one per client address). The caller asks isLocked *before* checking a password and
// refuses without verifying while it is true; it then records the outcome of a real check.

export interface ThrottleRecord {
  /** Consecutive failures (since the last success or quiet window). */
  failures: number;
  lastFailureAt: number | null;
  lockedUntil: number | null;
}

export interface ThrottleSettings {
  /** Failures that lock; each further failure locks again, twice as long. */
  maxFailures: number;
  /** First lock: baseLockMs; then × 2 per failure beyond maxFailures, up to maxLockMs. */
  baseLockMs: number;
  maxLockMs: number;
  /** Failures are forgotten after this long without one (counted from the end of any lock). */
  quietWindowMs: number;
}

export const THROTTLE_DEFAULTS = {
  /** 5 wrong passwords in a row lock the account for 30 s, then 1, 2, 4, 8 min, then 15 min each. */
  account: { maxFailures: 5, baseLockMs: 30_000, maxLockMs: 900_000, quietWindowMs: 900_000 },
  /** One address guessing across many accounts: 50 failures without a 15-minute pause. */
  clientIp: { maxFailures: 50, baseLockMs: 60_000, maxLockMs: 900_000, quietWindowMs: 900_000 },
} as const satisfies Record<string, ThrottleSettings>;

export const EMPTY_THROTTLE_RECORD: Readonly<ThrottleRecord> = Object.freeze({
  failures: 0,
  lastFailureAt: null,
  lockedUntil: null,
});

export function isLocked(record: ThrottleRecord, now: number): boolean {
  return record.lockedUntil !== null && now < record.lockedUntil;
}

/** Milliseconds until the lock ends (0 when not locked), e.g. for Retry-After. */
export function lockRemainingMs(record: ThrottleRecord, now: number): number {
  return isLocked(record, now) ? record.lockedUntil! - now : 0;
}

/** How long the lock after the `failures`-th consecutive failure lasts (0: no lock yet). */
export function lockDurationMs(failures: number, settings: ThrottleSettings): number {
  if (failures < settings.maxFailures) return 0;
  const doublings = Math.min(failures - settings.maxFailures, 52); // past that 2^n stops being exact
  return Math.min(settings.baseLockMs * 2 ** doublings, settings.maxLockMs);
}

/** Whether the record has been quiet long enough for its failures to be forgotten. */
function isQuiet(record: ThrottleRecord, now: number, settings: ThrottleSettings): boolean {
  if (record.lastFailureAt === null) return true;
  const lastActivity = Math.max(record.lastFailureAt, record.lockedUntil ?? Number.NEGATIVE_INFINITY);
  return now - lastActivity >= settings.quietWindowMs;
}

/** The record after a wrong password. A failure never shortens a lock already in place. */
export function recordFailure(
  record: ThrottleRecord,
  now: number,
  settings: ThrottleSettings = THROTTLE_DEFAULTS.account,
): ThrottleRecord {
  const quiet = isQuiet(record, now, settings);
  const failures = (quiet ? 0 : record.failures) + 1;
  const duration = lockDurationMs(failures, settings);
  const previous = quiet ? null : record.lockedUntil;
  const lockedUntil = duration > 0 ? Math.max(now + duration, previous ?? 0) : previous;
  return { failures, lastFailureAt: now, lockedUntil };
}

/** The record after a successful sign-in: everything is forgiven. */
export function recordSuccess(): ThrottleRecord {
  return { ...EMPTY_THROTTLE_RECORD };
}

/** The record as it stands at `now`: failures forgotten after a quiet window (for storage clean-up). */
export function currentRecord(
  record: ThrottleRecord,
  now: number,
  settings: ThrottleSettings = THROTTLE_DEFAULTS.account,
): ThrottleRecord {
  return isQuiet(record, now, settings) ? recordSuccess() : record;
}
