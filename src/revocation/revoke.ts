import { z } from 'zod';
import { type AuditContext, audit } from '../audit/audit.ts';
import { emit } from '../directory/events.ts';
import { GatehouseError } from '../errors.ts';
import { notify, type Queryable } from '../store/db.ts';
import type { Revocation } from './state.ts';

export const REVOCATIONS_CHANNEL = 'gatehouse_revocations';

/** What travels on the channel: the revocation itself, so nodes apply it without a read. */
export const revocationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), userId: z.string(), notBefore: z.number() }),
  z.object({ kind: z.literal('session'), sessionId: z.string(), until: z.number() }),
  z.object({
    kind: z.literal('assignment'),
    userId: z.string(),
    accountId: z.string(),
    permissionSetId: z.string(),
    notBefore: z.number(),
  }),
  z.object({ kind: z.literal('permission_set'), permissionSetId: z.string(), minVersion: z.number() }),
]);

/**
 * Ends everything a user holds without disabling them ("sign out everywhere", a lost laptop):
 * moves `valid_after` to now, so every session, token and credential issued before dies on every
 * node; what they sign in to afterwards works. Idempotent in effect; audited.
 */
export async function revokeUserAccess(
  tx: Queryable,
  context: AuditContext,
  userId: string,
  reason: string,
): Promise<{ notBefore: Date }> {
  const { rows } = await tx.query<{ not_before: Date; ms: number }>(
    `update users set valid_after = now(), updated_at = now() where id = $1 and status <> 'deprovisioned'
     returning valid_after as not_before, ceil(extract(epoch from valid_after) * 1000)::float8 as ms`,
    [userId],
  );
  const row = rows[0];
  if (!row) throw new GatehouseError('not_found', 'directory.user_not_found', `no user ${userId}`);
  await notifyRevocation(tx, { kind: 'user', userId, notBefore: Number(row.ms) });
  await emit(tx, { type: 'user.revoked', userId, data: { reason } });
  await audit(tx, context, { action: 'user.revoke_access', target: `user:${userId}`, details: { reason } });
  return { notBefore: row.not_before };
}

/** Sends a revocation to every node at commit (they also find it in the tables when reconciling). */
export async function notifyRevocation(tx: Queryable, revocation: Revocation): Promise<void> {
  await notify(tx, REVOCATIONS_CHANNEL, JSON.stringify(revocation));
}

/** A narrower revocation as its owner states it; an assignment's cut-off is the database's now(). */
export type NarrowRevocation =
  | Extract<Revocation, { kind: 'session' | 'permission_set' }>
  | Omit<Extract<Revocation, { kind: 'assignment' }>, 'notBefore'>;

/**
 * Records a narrower revocation (one session, one user's assignment, old versions of a permission
 * set) until `expiresAt`, after which nothing it could apply to is alive. Called by the modules
 * that own those things, in the transaction of the change.
 */
export async function recordRevocation(
  tx: Queryable,
  revocation: NarrowRevocation,
  options: { expiresAt: Date; reason: string },
): Promise<void> {
  const r = revocation;
  const { rows } = await tx.query<{ ms: number }>(
    `insert into revocations
       (kind, user_id, session_id, account_id, permission_set_id, min_version, not_before, expires_at, reason)
     values ($1, $2, $3, $4, $5, $6, now(), $7, $8)
     returning ceil(extract(epoch from not_before) * 1000)::float8 as ms`,
    [
      r.kind,
      r.kind === 'assignment' ? r.userId : null,
      r.kind === 'session' ? r.sessionId : null,
      r.kind === 'assignment' ? r.accountId : null,
      r.kind === 'session' ? null : r.permissionSetId,
      r.kind === 'permission_set' ? r.minVersion : null,
      options.expiresAt,
      options.reason,
    ],
  );
  const sent: Revocation =
    r.kind === 'assignment'
      ? { ...r, notBefore: Number(rows[0]!.ms) }
      : r.kind === 'session'
        ? { ...r, until: Math.min(r.until, options.expiresAt.getTime()) }
        : r;
  await notifyRevocation(tx, sent);
}
