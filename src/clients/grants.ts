import { type AuditContext, audit } from '../audit/audit.ts';
import { emit } from '../directory/events.ts';
import { userTarget } from '../directory/users.ts';
import type { Queryable } from '../store/db.ts';

/**
 * What the OpenID provider issued lives in `oidc_store` (sessions, grants, refresh and opaque
 * access tokens, codes, device codes). These are the domain-level operations on it that do not
 * go through the provider: ending everything of a person (revocation calls this when a user is
 * disabled, deprovisioned or signs out everywhere) and the expiry clean-up.
 *
 * JWT access tokens are not stored: they end at their expiry (minutes), and the admin API
 * verifier re-checks the user (status, valid_after) on every use.
 */
export async function revokeAccountTokens(q: Queryable, userId: string): Promise<number> {
  // Grants first: anything that refers to a grant goes with it, even a row whose account column is
  // empty (client credentials rows have none, but they never carry a grant either).
  const { rowCount } = await q.query(
    `delete from oidc_store
     where account_id = $1
        or grant_id in (select grant_id from oidc_store where account_id = $1 and grant_id is not null)`,
    [userId],
  );
  return rowCount;
}

/**
 * Records that an OpenID grant ended (logout, token revocation, refresh-token reuse): credentials
 * obtained with it (over /aws/sso they carry the grant id as their session) die on every node.
 * The provider has already deleted the grant's rows, or the caller does in the same transaction.
 */
export async function grantEnded(
  tx: Queryable,
  grantId: string,
  userId: string | undefined,
  reason: string,
): Promise<void> {
  await emit(tx, {
    type: 'session.ended',
    userId: userId ?? null,
    data: { sessionId: grantId, reason, kind: 'oidc_grant' },
  });
}

/** Removes artefacts that expired more than `graceSeconds` ago; returns how many. */
export async function deleteExpiredArtefacts(q: Queryable, graceSeconds = 60): Promise<number> {
  const { rowCount } = await q.query(
    `delete from oidc_store where expires_at < now() - make_interval(secs => $1)`,
    [graceSeconds],
  );
  return rowCount;
}

/**
 * Ends one grant of a person: its access and refresh tokens and the code behind them (an AWS SSO
 * Logout). Audited in the same transaction.
 */
export async function revokeGrant(
  tx: Queryable,
  context: AuditContext,
  userId: string,
  grantId: string,
  reason: string,
): Promise<number> {
  // The Grant row too (its own id is the grant id): an ended grant must never be reused.
  const { rowCount } = await tx.query(
    `delete from oidc_store where (grant_id = $1 and account_id = $2) or (model = 'Grant' and id = $1)`,
    [grantId, userId],
  );
  await grantEnded(tx, grantId, userId, reason);
  await audit(tx, context, {
    action: 'oidc.grant.revoke',
    target: userTarget(userId),
    details: { grantId, reason, removed: rowCount },
  });
  return rowCount;
}
