import type { Queryable } from '../store/db.ts';
import { EMPTY_THROTTLE_RECORD, type ThrottleRecord } from './throttle.ts';

/**
 * Throttle records in `auth_throttle`, keyed `user:<lower-cased user name>` (known and unknown
 * names alike, so a lock-out says nothing about whether an account exists) and `ip:<address>`.
 */
export const userKey = (userName: string) => `user:${userName.toLowerCase()}`;
export const ipKey = (ip: string) => `ip:${ip}`;

export async function readThrottle(q: Queryable, key: string): Promise<ThrottleRecord> {
  const { rows } = await q.query<{
    failures: number;
    last_failure_at: Date | null;
    locked_until: Date | null;
  }>('select failures, last_failure_at, locked_until from auth_throttle where key = $1', [key]);
  const row = rows[0];
  if (!row) return { ...EMPTY_THROTTLE_RECORD };
  return {
    failures: row.failures,
    lastFailureAt: row.last_failure_at?.getTime() ?? null,
    lockedUntil: row.locked_until?.getTime() ?? null,
  };
}

/** Read-modify-write under a row lock, so concurrent failures are all counted. */
export async function updateThrottle(
  tx: Queryable,
  key: string,
  next: (current: ThrottleRecord) => ThrottleRecord,
): Promise<ThrottleRecord> {
  await tx.query('insert into auth_throttle (key) values ($1) on conflict (key) do nothing', [key]);
  await tx.query('select 1 from auth_throttle where key = $1 for update', [key]);
  const record = next(await readThrottle(tx, key));
  await tx.query(
    'update auth_throttle set failures = $2, last_failure_at = $3, locked_until = $4 where key = $1',
    [
      key,
      record.failures,
      record.lastFailureAt === null ? null : new Date(record.lastFailureAt),
      record.lockedUntil === null ? null : new Date(record.lockedUntil),
    ],
  );
  return record;
}
