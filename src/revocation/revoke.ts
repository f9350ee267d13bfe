import { type AuditContext, audit } from '../audit/audit.ts';
import { emit } from '../directory/events.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';

/**
 * Ends everything a user holds without disabling them ("sign out everywhere", a lost laptop):
 * moves `valid_after` to now, so every session, token and credential issued before dies on every
 * node; what they sign in to afterwards works. Audited.
 */
export async function revokeUserAccess(
  tx: Queryable,
  context: AuditContext,
  userId: string,
  reason: string,
): Promise<{ notBefore: Date }> {
  const { rows } = await tx.query<{ valid_after: Date }>(
    `update users set valid_after = now(), updated_at = now() where id = $1 and status <> 'deprovisioned'
     returning valid_after`,
    [userId],
  );
  const row = rows[0];
  if (!row) throw new GatehouseError('not_found', 'directory.user_not_found', `no user ${userId}`);
  await emit(tx, { type: 'user.revoked', userId, data: { reason } });
  await audit(tx, context, { action: 'user.revoke_access', target: `user:${userId}`, details: { reason } });
  return { notBefore: row.valid_after };
}
