import { toUser, USER_COLUMNS, type User } from '../directory/users.ts';
import type { Queryable } from '../store/db.ts';

export interface StoredPassword {
  hash: string;
  changedAt: Date;
  mustChange: boolean;
}

/**
 * The user holding a name and their stored password in one round trip, so that a known and an
 * unknown user cost the same database work.
 */
export async function findUserWithPassword(
  q: Queryable,
  userName: string,
): Promise<{ user: User; password: StoredPassword | undefined } | undefined> {
  const { rows } = await q.query<
    Parameters<typeof toUser>[0] & {
      pw_hash: string | null;
      pw_changed_at: Date | null;
      pw_must_change: boolean | null;
    }
  >(
    `select ${USER_COLUMNS.split(', ')
      .map((c) => `u.${c}`)
      .join(', ')},
            p.hash as pw_hash, p.changed_at as pw_changed_at, p.must_change as pw_must_change
     from users u left join password_credentials p on p.user_id = u.id
     where lower(u.user_name) = lower($1) and u.status <> 'deprovisioned'`,
    [userName],
  );
  const row = rows[0];
  if (!row) return undefined;
  const password = row.pw_hash
    ? { hash: row.pw_hash, changedAt: row.pw_changed_at!, mustChange: row.pw_must_change! }
    : undefined;
  return { user: toUser(row), password };
}

export async function readPassword(q: Queryable, userId: string): Promise<StoredPassword | undefined> {
  const { rows } = await q.query<{ hash: string; changed_at: Date; must_change: boolean }>(
    'select hash, changed_at, must_change from password_credentials where user_id = $1',
    [userId],
  );
  const row = rows[0];
  return row && { hash: row.hash, changedAt: row.changed_at, mustChange: row.must_change };
}

/**
 * Stores a new password hash; the one it replaces goes to the history, trimmed to the `keep`
 * most recent (the policy's history length).
 */
export async function storePassword(
  tx: Queryable,
  userId: string,
  hash: string,
  options: { mustChange: boolean; keep: number },
): Promise<void> {
  const previous = await readPassword(tx, userId);
  if (previous) {
    await tx.query('insert into password_history (user_id, hash, created_at) values ($1, $2, $3)', [
      userId,
      previous.hash,
      previous.changedAt,
    ]);
  }
  await tx.query(
    `insert into password_credentials (user_id, hash, changed_at, must_change) values ($1, $2, now(), $3)
     on conflict (user_id) do update set hash = excluded.hash, changed_at = now(), must_change = excluded.must_change`,
    [userId, hash, options.mustChange],
  );
  await tx.query(
    `delete from password_history where user_id = $1 and ctid not in (
       select ctid from password_history where user_id = $1 order by created_at desc limit $2)`,
    [userId, options.keep],
  );
}

/** The hashes a new password must not match: the current one and the last `count` before it. */
export async function recentHashes(q: Queryable, userId: string, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const { rows } = await q.query<{ hash: string }>(
    `(select hash, changed_at as at from password_credentials where user_id = $1)
     union all
     (select hash, created_at as at from password_history where user_id = $1)
     order by at desc limit $2`,
    [userId, count],
  );
  return rows.map((r) => r.hash);
}

/** Only the rehash on sign-in: same password, stronger parameters; nothing else changes. */
export async function replaceHash(
  q: Queryable,
  userId: string,
  oldHash: string,
  newHash: string,
): Promise<void> {
  await q.query('update password_credentials set hash = $3 where user_id = $1 and hash = $2', [
    userId,
    oldHash,
    newHash,
  ]);
}
