// One batch of directory users → Gatehouse users, in the caller's transaction. Creates, updates,
// re-enables and reactivates are applied here; disabling and deprovisioning are only recorded
// (directory_disabled, the seen set) and decided at the end of the run, under the safety rule.
import type { User as DirectoryUser } from '../../connectors/types.ts';
import {
  createUsers,
  disableUser,
  enableUser,
  reactivateUser,
  toUser,
  USER_COLUMNS,
  type User,
  updateUser,
} from '../directory/users.ts';
import type { Queryable } from '../store/db.ts';
import type { BatchTally, RunScope } from './batch.ts';
import { profileChanges, toProfile } from './profile.ts';
import { attempt } from './savepoint.ts';
import { stageSeen } from './staging.ts';

export type SyncStatus = 'disabled' | 'deprovisioned' | null;

interface Known {
  user: User;
  /** A sync_users row exists (else the mark must be written whatever it says). */
  marked: boolean;
  directoryDisabled: boolean;
  /** The status the sync itself put the user in (so that it only undoes its own doing). */
  syncStatus: SyncStatus;
}

interface Mark {
  userId: string;
  directoryDisabled: boolean;
  syncStatus: SyncStatus;
}

export async function applyUsers(
  tx: Queryable,
  scope: RunScope,
  users: DirectoryUser[],
  tally: BatchTally,
): Promise<void> {
  if (scope.kind === 'full')
    await stageSeen(
      tx,
      scope.runId,
      'u',
      users.map((u) => u.externalId),
    );
  const known = await knownUsers(
    tx,
    scope.source,
    users.map((u) => u.externalId),
  );
  const marks: Mark[] = [];
  const fresh: DirectoryUser[] = [];
  for (const d of users) {
    const k = known.get(d.externalId);
    if (!k) {
      fresh.push(d);
      continue;
    }
    const plan = planKnown(d, k);
    if (!plan.work) {
      // Rewritten only when it changed: a full sync of an unchanged directory writes nothing here.
      const m = plan.mark;
      if (!k.marked || m.directoryDisabled !== k.directoryDisabled || m.syncStatus !== k.syncStatus)
        marks.push(m);
      continue;
    }
    // Only entries with something to do pay for a savepoint.
    const r = await attempt(tx, () => applyKnown(tx, scope, d, k, tally));
    if (r.ok) {
      marks.push(r.value);
      continue;
    }
    tally.error(`user ${d.userName} (${d.externalId})`, r.error.message);
    // The profile could not be applied, but what the directory says about the account still counts.
    if (k.user.status !== 'deprovisioned')
      marks.push({ userId: k.user.id, directoryDisabled: d.disabled, syncStatus: k.syncStatus });
  }
  marks.push(...(await createFresh(tx, scope, fresh, tally)));
  await writeMarks(tx, scope.connectorId, marks);
}

/** New users in one go; a name someone else holds is an error for that user alone. */
async function createFresh(
  tx: Queryable,
  scope: RunScope,
  fresh: DirectoryUser[],
  tally: BatchTally,
): Promise<Mark[]> {
  if (fresh.length === 0) return [];
  const { created, refused } = await createUsers(
    tx,
    scope.audit,
    fresh.map((d) => ({ ...toProfile(d), externalId: d.externalId })),
    { source: scope.source },
  );
  for (const r of refused) {
    const d = fresh[r.index]!;
    tally.error(`user ${d.userName} (${d.externalId})`, r.error.message);
  }
  tally.add('added', created.length);
  const disabled = new Set(fresh.filter((d) => d.disabled).map((d) => d.externalId));
  const marks: Mark[] = [];
  for (const user of created) {
    const off = disabled.has(user.externalId!);
    // Created disabled: nobody loses anything, so this is not held back like a disable is.
    if (off) await disableUser(tx, scope.audit, user.id, { reason: 'disabled in the directory' });
    marks.push({ userId: user.id, directoryDisabled: off, syncStatus: off ? 'disabled' : null });
  }
  return marks;
}

/** Whether a known user needs a change now (else only its mark is written). */
function planKnown(d: DirectoryUser, k: Known): { work: true } | { work: false; mark: Mark } {
  const { user } = k;
  const mark = (syncStatus: SyncStatus): { work: false; mark: Mark } => ({
    work: false,
    mark: { userId: user.id, directoryDisabled: d.disabled, syncStatus },
  });
  if (user.status === 'deprovisioned')
    return k.syncStatus === 'deprovisioned' && !d.disabled ? { work: true } : mark(k.syncStatus);
  if (user.status === 'disabled' && k.syncStatus === 'disabled' && !d.disabled) return { work: true };
  if (profileChanges(user, toProfile(d))) return { work: true };
  return mark(user.status === 'active' ? null : k.syncStatus);
}

async function applyKnown(
  tx: Queryable,
  scope: RunScope,
  d: DirectoryUser,
  k: Known,
  tally: BatchTally,
): Promise<Mark> {
  const profile = toProfile(d);
  const { user } = k;
  if (user.status === 'deprovisioned') {
    // Back in the directory (same id) and enabled there: the same identity returns. (An
    // administrator's deprovisioning is left alone: planKnown does not send those here.)
    const back = await reactivateUser(tx, scope.audit, user.id, { reason: 'back in the directory' });
    const changes = profileChanges(back, profile);
    if (changes) await updateUser(tx, scope.audit, user.id, changes);
    tally.add('reactivated');
    return { userId: user.id, directoryDisabled: false, syncStatus: null };
  }
  const changes = profileChanges(user, profile);
  if (changes) {
    await updateUser(tx, scope.audit, user.id, changes);
    tally.add('updated');
  }
  let syncStatus = user.status === 'active' ? null : k.syncStatus;
  if (user.status === 'disabled' && k.syncStatus === 'disabled' && !d.disabled) {
    await enableUser(tx, scope.audit, user.id, { reason: 'enabled in the directory' });
    tally.add('reactivated');
    syncStatus = null;
  }
  return { userId: user.id, directoryDisabled: d.disabled, syncStatus };
}

async function knownUsers(tx: Queryable, source: string, externalIds: string[]): Promise<Map<string, Known>> {
  const { rows } = await tx.query<Record<string, unknown>>(
    `select ${USER_COLUMNS}, su.directory_disabled, su.sync_status
     from users left join sync_users su on su.user_id = users.id
     where users.source = $1 and users.external_id = any($2::text[])`,
    [source, externalIds],
  );
  const known = new Map<string, Known>();
  for (const row of rows) {
    const user = toUser(row as unknown as Parameters<typeof toUser>[0]);
    known.set(user.externalId!, {
      user,
      marked: row['directory_disabled'] !== null && row['directory_disabled'] !== undefined,
      directoryDisabled: row['directory_disabled'] === true,
      syncStatus: (row['sync_status'] as SyncStatus) ?? null,
    });
  }
  return known;
}

export async function writeMarks(tx: Queryable, connectorId: string, marks: Mark[]): Promise<void> {
  if (marks.length === 0) return;
  await tx.query(
    `insert into sync_users (user_id, connector_id, directory_disabled, sync_status)
     select u, $1, d, s from unnest($2::uuid[], $3::boolean[], $4::text[]) as t(u, d, s)
     on conflict (user_id) do update
       set connector_id = excluded.connector_id, directory_disabled = excluded.directory_disabled,
           sync_status = excluded.sync_status`,
    [
      connectorId,
      marks.map((m) => m.userId),
      marks.map((m) => m.directoryDisabled),
      marks.map((m) => m.syncStatus),
    ],
  );
}
