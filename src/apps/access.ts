import { type AuditContext, auditNow } from '../audit/audit.ts';
import { GatehouseError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { type Application, applicationTarget } from './apps.ts';
import { canUseApplication } from './assignments.ts';

/**
 * The gate every front door (SAML, OIDC, the portal) passes a person through before signing them in
 * to an application. A refusal is audited and thrown as `apps.access_denied` (the front door shows
 * the "you don't have access" page); a success is not audited here (the sign-in itself is).
 */
export async function requireApplicationAccess(
  db: Db,
  context: AuditContext,
  app: Application,
  userId: string,
  via: string,
): Promise<void> {
  if (await canUseApplication(db, app.id, userId)) return;
  await auditNow(db, context, {
    action: 'application.access',
    target: applicationTarget(app.id),
    outcome: 'denied',
    details: { user: `user:${userId}`, via, reason: 'not assigned' },
  });
  throw new GatehouseError(
    'forbidden',
    'apps.access_denied',
    `you don't have access to ${app.label ?? app.name}; ask an administrator to assign it to you`,
    { application: app.id },
  );
}
