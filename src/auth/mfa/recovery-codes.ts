import { createHash, randomBytes } from 'node:crypto';
import { type AuditContext, audit } from '../../audit/audit.ts';
import type { Queryable } from '../../store/db.ts';

/**
 * Ten single-use recovery codes per person, for when the authenticator app is lost. Each has 80
 * random bits (16 characters of Crockford's base32, shown in groups of four), so a salted SHA-256
 * is enough to store them: nothing short of 2^80 guesses finds one from its hash.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // no i, l, o, u: nothing to misread

function newCode(): string {
  const chars = [...randomBytes(16)].map((b) => ALPHABET[b & 31]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/** What the person typed, as stored: case, spaces and dashes do not matter; o/i/l read as 0/1/1. */
function normalise(code: string): string {
  return code
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1');
}

const hashCode = (userId: string, code: string) =>
  createHash('sha256')
    .update(`gatehouse-recovery:${userId}:${normalise(code)}`)
    .digest('hex');

/** Replaces the user's recovery codes with ten new ones, returned once (never stored in clear). */
export async function regenerateRecoveryCodes(
  tx: Queryable,
  context: AuditContext,
  userId: string,
): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await tx.query('delete from mfa_recovery_codes where user_id = $1', [userId]);
  await tx.query(`insert into mfa_recovery_codes (user_id, code_hash) select $1, unnest($2::text[])`, [
    userId,
    codes.map((c) => hashCode(userId, c)),
  ]);
  await audit(tx, context, {
    action: 'mfa.recovery_codes',
    target: `user:${userId}`,
    details: { count: codes.length },
  });
  return codes;
}

/** Spends one recovery code: true once per code, false for anything else (the update is the check). */
export async function redeemRecoveryCode(q: Queryable, userId: string, code: string): Promise<boolean> {
  if (normalise(code).length !== 16) return false;
  const { rowCount } = await q.query(
    `update mfa_recovery_codes set used_at = now()
     where user_id = $1 and code_hash = $2 and used_at is null`,
    [userId, hashCode(userId, code)],
  );
  return rowCount === 1;
}

export async function remainingRecoveryCodes(q: Queryable, userId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    'select count(*)::int as n from mfa_recovery_codes where user_id = $1 and used_at is null',
    [userId],
  );
  return rows[0]!.n;
}

export async function deleteRecoveryCodes(q: Queryable, userId: string): Promise<void> {
  await q.query('delete from mfa_recovery_codes where user_id = $1', [userId]);
}
