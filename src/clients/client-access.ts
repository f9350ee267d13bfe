import type { Queryable } from '../store/db.ts';

/**
 * Whether a person may use a client (sign in to it, approve a device code for it). The hook that
 * application assignments plug into: an OIDC application in the catalog names its client id, and
 * only the users assigned to it may use that client. Until applications exist every active user
 * may use every client.
 */
export async function canUseClient(_q: Queryable, _userId: string, _clientId: string): Promise<boolean> {
  return true;
}
