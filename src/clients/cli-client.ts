import type { AuditContext } from '../audit/audit.ts';
import { GatehouseError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { createClient, findClient } from './clients.ts';
import { DEVICE_CODE_GRANT } from './schemas.ts';

/** The first-party public client `gatehouse login` signs in as (device flow, refresh tokens). */
export const CLI_CLIENT_ID = 'gatehouse-cli';

/**
 * Creates the CLI's client when it is missing. Every node calls this at start; when two race, the
 * second finds the first's (a unique violation is not an error here).
 */
export async function ensureCliClient(db: Db, context: AuditContext = { actor: 'system' }): Promise<void> {
  if (await findClient(db, CLI_CLIENT_ID)) return;
  try {
    await db.transaction((tx) =>
      createClient(tx, context, {
        clientId: CLI_CLIENT_ID,
        public: true,
        name: 'Gatehouse CLI',
        applicationType: 'native',
        firstParty: true,
        grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'],
        scopes: ['openid', 'profile', 'offline_access'],
      }),
    );
  } catch (error) {
    if (!(error instanceof GatehouseError && error.code === 'clients.exists')) throw error;
  }
}
