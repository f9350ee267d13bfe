import { requireApplicationAccess } from '../apps/access.ts';
import { findApplicationByClientId } from '../apps/apps.ts';
import { canUseApplication } from '../apps/assignments.ts';
import type { AuditContext } from '../audit/audit.ts';
import { GatehouseError } from '../errors.ts';
import type { Db, Queryable } from '../store/db.ts';

/**
 * Whether a person may use a client (sign in to it, approve a device code for it). A client that an
 * OIDC application in the catalog names is for the people assigned to that application only; a
 * client outside the catalog (the CLI, automation, the AWS tools) is for every active user.
 */
export async function canUseClient(q: Queryable, userId: string, clientId: string): Promise<boolean> {
  const app = await findApplicationByClientId(q, clientId);
  return app ? canUseApplication(q, app.id, userId) : true;
}

/** canUseClient for the moment of signing in: a refusal is audited like the other front doors'. */
export async function admitToClient(
  db: Db,
  context: AuditContext,
  userId: string,
  clientId: string,
): Promise<boolean> {
  const app = await findApplicationByClientId(db, clientId);
  if (!app) return true;
  try {
    await requireApplicationAccess(db, context, app, userId, 'oidc');
    return true;
  } catch (error) {
    if (error instanceof GatehouseError && error.code === 'apps.access_denied') return false;
    throw error;
  }
}
