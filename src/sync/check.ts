// Sign-in re-check of a directory user between syncs: asks the connector for the user's entry now,
// so that someone disabled or removed in the directory is stopped at their next sign-in (and
// disabled in Gatehouse at once, which ends their sessions and credentials), not at the next sync.
import type { Connector, Identity } from '../../connectors/types.ts';
import type { AuditContext } from '../audit/audit.ts';
import { disableUser, findUser, type User } from '../directory/users.ts';
import type { Db } from '../store/db.ts';
import { writeMarks } from './apply-users.ts';
import { sourceOf } from './batch.ts';

export type DirectoryCheck =
  /** Not a user of a directory connector (built-in, SCIM): nothing to check. */
  | { status: 'not_directory' }
  /** The directory has the user, enabled. `user` is Gatehouse's record, whose own status still counts. */
  | { status: 'active'; user: User; identity: Identity }
  /** Disabled in the directory: now disabled in Gatehouse too. */
  | { status: 'disabled'; user: User }
  /** No longer in the directory's user search: disabled in Gatehouse until a full sync deprovisions it. */
  | { status: 'gone'; user: User }
  /** The connector is not configured or its directory cannot answer: the caller must fail closed. */
  | { status: 'unavailable'; message: string };

export interface CheckDeps {
  db: Db;
  connectors: readonly Connector[];
}

/**
 * Re-reads a directory user's entry by external id (renames and moves are followed). Only ever
 * restricts: a user the directory enabled again comes back through the sync, not through here.
 * `context` carries the sign-in's ip and request id into the audit entry.
 */
export async function checkDirectoryUser(
  deps: CheckDeps,
  user: User,
  context: Pick<AuditContext, 'ip' | 'requestId'> = {},
): Promise<DirectoryCheck> {
  const connector = deps.connectors.find((c) => sourceOf(c) === user.source);
  if (!connector) {
    if (user.source === 'builtin' || user.source === 'scim') return { status: 'not_directory' };
    return { status: 'unavailable', message: `the directory of ${user.source} is not configured` };
  }
  if (!connector.refresh)
    return { status: 'unavailable', message: `connector ${connector.id} cannot re-check users` };
  if (!user.externalId) return { status: 'gone', user };
  const r = await connector.refresh.check(user.externalId);
  if (r.status === 'unavailable') return { status: 'unavailable', message: r.message };
  if (r.status === 'active') return { status: 'active', user, identity: r.identity };
  const audit: AuditContext = { actor: `connector:${connector.id}`, ...context };
  const reason =
    r.status === 'disabled'
      ? 'disabled in the directory (sign-in check)'
      : 'not in the directory (sign-in check)';
  const updated = await deps.db.transaction(async (tx) => {
    const current = await findUser(tx, user.id);
    if (current?.status !== 'active') return current ?? user;
    const disabled = await disableUser(tx, audit, user.id, { reason });
    await writeMarks(tx, connector.id, [
      { userId: user.id, directoryDisabled: r.status === 'disabled', syncStatus: 'disabled' },
    ]);
    return disabled;
  });
  return { status: r.status, user: updated };
}
