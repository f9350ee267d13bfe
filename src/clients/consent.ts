import { type AuditContext, auditNow, SYSTEM } from '../audit/audit.ts';
import type { Db } from '../store/db.ts';
import { clientTarget } from './clients.ts';

/**
 * The audit side of what the OpenID provider grants. The provider stores grants itself, outside
 * our transactions, so these entries stand alone: a person's answer on the consent page, and a
 * grant revoked (logout, revocation endpoint, or a refresh token presented twice: `route` says which).
 */
export function recordConsent(
  db: Db,
  context: AuditContext,
  clientId: string,
  decision: 'allow' | 'deny',
  scopes: readonly string[],
): Promise<unknown> {
  return auditNow(db, context, {
    action: 'oidc.consent',
    target: clientTarget(clientId),
    outcome: decision === 'allow' ? 'success' : 'denied',
    details: { requested: [...scopes] },
  });
}

export function recordGrantRevoked(
  db: Db,
  grant: { grantId: string; clientId?: string | undefined; route?: string | undefined },
): Promise<unknown> {
  return auditNow(db, SYSTEM, {
    action: 'oidc.grant_revoke',
    target: grant.clientId ? clientTarget(grant.clientId) : null,
    details: { grantId: grant.grantId, route: grant.route ?? null },
  });
}
