import { type AuditContext, audit } from '../audit/audit.ts';
import { emit } from '../directory/events.ts';
import { lockUser, userTarget } from '../directory/users.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';

/**
 * Stored passwords of built-in users: argon2id PHC strings in `password_credentials`. Hashing and
 * checking passwords live elsewhere in src/auth; this file stores hashes computed elsewhere (by
 * `gatehouse apply`, which never sees a plaintext password).
 */

const B64 = '[A-Za-z0-9+/]';
const ARGON2ID_PHC = new RegExp(
  `^\\$argon2id\\$v=19\\$m=(\\d{1,10}),t=(\\d{1,10}),p=(\\d{1,8})\\$(${B64}{11,})\\$(${B64}{22,})$`,
);

/**
 * A well-formed argon2id PHC string: `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, unpadded base64,
 * salt of at least 8 bytes, hash of at least 16, parameters within argon2's own limits.
 */
export function isArgon2idHash(value: string): boolean {
  if (value.length > 512) return false;
  const match = ARGON2ID_PHC.exec(value);
  if (!match) return false;
  const [m, t, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return p >= 1 && p <= 0xffffff && t >= 1 && t <= 0xffffffff && m >= 8 * p && m <= 0xffffffff;
}

export const ARGON2ID_EXPECTED = 'expected an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)';

/** The stored hashes of these users (users without a password are absent from the map). */
export async function passwordHashes(q: Queryable, userIds: readonly string[]): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const { rows } = await q.query<{ user_id: string; hash: string }>(
    'select user_id, hash from password_credentials where user_id = any($1::uuid[])',
    [userIds],
  );
  return new Map(rows.map((r) => [r.user_id, r.hash]));
}

/**
 * Sets the password of a built-in user from a ready argon2id hash (the replaced hash joins the
 * password history). Returns false when the user already has exactly this hash. The hash never
 * appears in the audit entry or the event.
 */
export async function setPasswordHash(
  tx: Queryable,
  context: AuditContext,
  userId: string,
  hash: string,
  options: { mustChange?: boolean } = {},
): Promise<boolean> {
  if (!isArgon2idHash(hash)) {
    throw new GatehouseError('invalid', 'auth.invalid_password_hash', ARGON2ID_EXPECTED);
  }
  const user = await lockUser(tx, userId);
  if (user.source !== 'builtin') {
    throw new GatehouseError(
      'conflict',
      'auth.not_builtin',
      `user ${userId} belongs to ${user.source}; its directory checks its password`,
    );
  }
  if (user.status === 'deprovisioned') {
    throw new GatehouseError('conflict', 'directory.user_deprovisioned', `user ${userId} is deprovisioned`);
  }
  const mustChange = options.mustChange ?? false;
  const { rows } = await tx.query<{ hash: string; must_change: boolean }>(
    'select hash, must_change from password_credentials where user_id = $1',
    [userId],
  );
  const previous = rows[0];
  if (previous?.hash === hash && previous.must_change === mustChange) return false;
  if (previous && previous.hash !== hash) {
    await tx.query('insert into password_history (user_id, hash) values ($1, $2)', [userId, previous.hash]);
  }
  await tx.query(
    `insert into password_credentials (user_id, hash, changed_at, must_change) values ($1, $2, now(), $3)
     on conflict (user_id) do update set hash = excluded.hash, changed_at = now(), must_change = excluded.must_change`,
    [userId, hash, mustChange],
  );
  await emit(tx, { type: 'user.password_changed', userId, data: { by: 'hash' } });
  await audit(tx, context, {
    action: 'user.password_set',
    target: userTarget(userId),
    details: { mustChange },
  });
  return true;
}
