import { type AuditContext, audit } from '../audit/audit.ts';
import { emit } from '../directory/events.ts';
import { lockUser, userTarget } from '../directory/users.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { readPassword, storePassword } from './password-store.ts';
import { parsePhc } from './phc.ts';

/** Previous passwords kept when the caller does not say (the password policy's default). */
const DEFAULT_HISTORY = 5;

/**
 * Stored passwords of built-in users: argon2id PHC strings in `password_credentials`. Hashing and
 * checking passwords live elsewhere in src/auth; this file stores hashes computed elsewhere (by
 * `gatehouse apply`, which never sees a plaintext password).
 */

/**
 * A well-formed argon2id PHC string within the bounds the server accepts (see phc.ts): the same
 * rule that sign-in applies, so a hash that apply accepts is one that can verify.
 */
export function isArgon2idHash(value: string): boolean {
  return parsePhc(value).ok;
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
  options: { mustChange?: boolean; keep?: number } = {},
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
  const previous = await readPassword(tx, userId);
  if (previous?.hash === hash && previous.mustChange === mustChange) return false;
  await storePassword(tx, userId, hash, { mustChange, keep: options.keep ?? DEFAULT_HISTORY });
  await emit(tx, { type: 'user.password_changed', userId, data: { by: 'hash' } });
  await audit(tx, context, {
    action: 'user.password_set',
    target: userTarget(userId),
    details: { mustChange },
  });
  return true;
}
