// The destructive end of a run: what it would disable and deprovision (counted first, for the safety
// rule), then doing it, and deleting groups a complete full sync did not find.
import { deleteGroup } from '../directory/groups.ts';
import { deprovisionUser, disableUser } from '../directory/users.ts';
import type { Db, Queryable } from '../store/db.ts';
import { writeMarks } from './apply-users.ts';
import type { RunScope } from './batch.ts';
import type { Destructive } from './types.ts';

const PAGE = 200;
const NIL = '00000000-0000-0000-0000-000000000000';

/** Users of the connector that a complete full sync did not see ($1 source, $2 run). */
const ABSENT_USERS = `
  from users u
  where u.source = $1 and u.status <> 'deprovisioned' and u.external_id is not null
    and not exists (select 1 from sync_run_seen s where s.run_id = $2 and s.kind = 'u' and s.external_id = u.external_id)`;

/**
 * Active users the directory says are disabled. In a full run only those it saw (the absent ones are
 * deprovisioned instead); an incremental run acts on what the directory last said of anyone.
 */
const DISABLED_USERS = (kind: 'full' | 'incremental') => `
  from users u join sync_users su on su.user_id = u.id
  where u.source = $1 and u.status = 'active' and su.directory_disabled
    ${kind === 'full' ? "and exists (select 1 from sync_run_seen s where s.run_id = $2 and s.kind = 'u' and s.external_id = u.external_id)" : 'and $2::uuid is not null'}`;

export interface Plan extends Destructive {
  /** The connector's users that are not deprovisioned: what the share is taken of. */
  base: number;
}

export async function planRemovals(q: Queryable, scope: RunScope): Promise<Plan> {
  const count = async (sql: string) =>
    (await q.query<{ n: number }>(`select count(*)::int as n ${sql}`, [scope.source, scope.runId])).rows[0]!
      .n;
  const deprovision = scope.kind === 'full' ? await count(ABSENT_USERS) : 0;
  const disable = await count(DISABLED_USERS(scope.kind));
  const { rows } = await q.query<{ n: number }>(
    "select count(*)::int as n from users where source = $1 and status <> 'deprovisioned'",
    [scope.source],
  );
  return { disable, deprovision, base: rows[0]!.n };
}

export async function applyDisables(db: Db, scope: RunScope): Promise<void> {
  await eachPage(db, `select u.id ${DISABLED_USERS(scope.kind)}`, scope, async (tx, ids) => {
    for (const id of ids) await disableUser(tx, scope.audit, id, { reason: 'disabled in the directory' });
    await writeMarks(
      tx,
      scope.connectorId,
      ids.map((userId) => ({ userId, directoryDisabled: true, syncStatus: 'disabled' })),
    );
    scope.counts.disabled += ids.length;
  });
}

export async function applyDeprovisions(db: Db, scope: RunScope): Promise<void> {
  await eachPage(db, `select u.id ${ABSENT_USERS}`, scope, async (tx, ids) => {
    for (const id of ids)
      await deprovisionUser(tx, scope.audit, id, { reason: 'absent from a complete full sync' });
    await writeMarks(
      tx,
      scope.connectorId,
      ids.map((userId) => ({ userId, directoryDisabled: false, syncStatus: 'deprovisioned' })),
    );
    scope.counts.removed += ids.length;
  });
}

export async function deleteAbsentGroups(db: Db, scope: RunScope): Promise<void> {
  const sql = `select g.id from groups g
    where g.source = $1 and g.external_id is not null
      and not exists (select 1 from sync_run_seen s where s.run_id = $2 and s.kind = 'g' and s.external_id = g.external_id)`;
  await eachPage(db, sql, scope, async (tx, ids) => {
    for (const id of ids) await deleteGroup(tx, scope.audit, id);
    scope.counts.groupsRemoved += ids.length;
  });
}

/** Pages through ids (keyset on id) and handles each page in its own transaction. */
async function eachPage(
  db: Db,
  select: string,
  scope: RunScope,
  fn: (tx: Queryable, ids: string[]) => Promise<void>,
): Promise<void> {
  let after = NIL;
  for (;;) {
    const { rows } = await db.query<{ id: string }>(
      `select id from (${select}) x where id > $3::uuid order by id limit ${PAGE}`,
      [scope.source, scope.runId, after],
    );
    if (rows.length === 0) return;
    after = rows.at(-1)!.id;
    // Counts are added inside fn; a retried transaction must not add them twice.
    const before = { ...scope.counts };
    await db.transaction(async (tx) => {
      Object.assign(scope.counts, before);
      await fn(
        tx,
        rows.map((r) => r.id),
      );
    });
  }
}
