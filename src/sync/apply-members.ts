// Mirrors each synced group's direct members (users and nested groups) from what the run staged,
// through the directory's membership functions, so that every change raises its membership event.
// Additions are applied whatever the run's outcome; removals only when it may change destructive
// things. Both go page by page (memory stays flat).
import {
  addMember,
  addUsersToGroups,
  removeMember,
  removeUsersFromGroups,
  type UserMembership,
} from '../directory/members.ts';
import type { Db } from '../store/db.ts';
import { BatchTally, type RunScope } from './batch.ts';
import { attempt } from './savepoint.ts';

const PAGE = 1000;
const NIL = '00000000-0000-0000-0000-000000000000';

interface AddRow {
  group_id: string;
  member_kind: 'u' | 'g';
  member_external_id: string;
  member_id: string;
}

/** Adds every staged membership that the store does not have yet. */
export async function addStagedMembers(db: Db, scope: RunScope): Promise<void> {
  let after = { group: NIL, kind: '', externalId: '' };
  for (;;) {
    const { rows } = await db.query<AddRow>(
      `select s.group_id, s.member_kind, s.member_external_id, coalesce(u.id, g.id) as member_id
       from sync_run_members s
       left join users u on s.member_kind = 'u' and u.source = $2 and u.external_id = s.member_external_id
         and u.status <> 'deprovisioned'
       left join groups g on s.member_kind = 'g' and g.source = $2 and g.external_id = s.member_external_id
       where s.run_id = $1 and (s.group_id, s.member_kind, s.member_external_id) > ($3::uuid, $4, $5)
         and coalesce(u.id, g.id) is not null
         and not exists (select 1 from group_members gm where gm.group_id = s.group_id and gm.member_user_id = u.id)
         and not exists (select 1 from group_members gm where gm.group_id = s.group_id and gm.member_group_id = g.id)
       order by s.group_id, s.member_kind, s.member_external_id
       limit $6`,
      [scope.runId, scope.source, after.group, after.kind, after.externalId, PAGE],
    );
    if (rows.length === 0) return;
    const last = rows.at(-1)!;
    after = { group: last.group_id, kind: last.member_kind, externalId: last.member_external_id };
    const tally = await db.transaction(async (tx) => {
      const t = new BatchTally();
      const users: UserMembership[] = rows
        .filter((r) => r.member_kind === 'u')
        .map((r) => ({ groupId: r.group_id, userId: r.member_id }));
      const r = await addUsersToGroups(tx, scope.audit, users);
      t.add('membershipsAdded', r.added.length);
      for (const x of r.refused)
        t.error(`membership of user ${x.userId} in group ${x.groupId}`, x.error.message);
      for (const m of rows.filter((x) => x.member_kind === 'g')) {
        // Nesting is checked for cycles one edge at a time (a directory may well have one).
        const added = await attempt(tx, () =>
          addMember(tx, scope.audit, m.group_id, { groupId: m.member_id }),
        );
        if (!added.ok) t.error(`group ${m.member_external_id} in group ${m.group_id}`, added.error.message);
        else if (added.value) t.add('membershipsAdded');
      }
      return t;
    });
    tally.mergeInto(scope);
  }
}

interface RemoveRow {
  group_id: string;
  member_user_id: string | null;
  member_group_id: string | null;
}

/**
 * Removes memberships of the groups this run delivered that the directory no longer lists. Only
 * members of the connector's own source are touched: a built-in user an administrator put into a
 * directory group stays.
 */
export async function removeUnstagedMembers(db: Db, scope: RunScope): Promise<void> {
  let after = { group: NIL, member: NIL };
  for (;;) {
    const { rows } = await db.query<RemoveRow>(
      `select gm.group_id, gm.member_user_id, gm.member_group_id
       from sync_run_seen seen
       join groups g on g.source = $2 and g.external_id = seen.external_id
       join group_members gm on gm.group_id = g.id
       left join users mu on mu.id = gm.member_user_id
       left join groups mg on mg.id = gm.member_group_id
       where seen.run_id = $1 and seen.kind = 'g' and coalesce(mu.source, mg.source) = $2
         and (gm.group_id, coalesce(gm.member_user_id, gm.member_group_id)) > ($3::uuid, $4::uuid)
         and not exists (
           select 1 from sync_run_members s
           where s.run_id = $1 and s.group_id = gm.group_id
             and s.member_kind = (case when gm.member_user_id is null then 'g' else 'u' end)
             and s.member_external_id = coalesce(mu.external_id, mg.external_id))
       order by gm.group_id, coalesce(gm.member_user_id, gm.member_group_id)
       limit $5`,
      [scope.runId, scope.source, after.group, after.member, PAGE],
    );
    if (rows.length === 0) return;
    const last = rows.at(-1)!;
    after = { group: last.group_id, member: (last.member_user_id ?? last.member_group_id)! };
    const removed = await db.transaction(async (tx) => {
      const users = rows.flatMap((r) =>
        r.member_user_id ? [{ groupId: r.group_id, userId: r.member_user_id }] : [],
      );
      let n = (await removeUsersFromGroups(tx, scope.audit, users)).length;
      for (const r of rows)
        if (
          r.member_group_id &&
          (await removeMember(tx, scope.audit, r.group_id, { groupId: r.member_group_id }))
        )
          n++;
      return n;
    });
    scope.counts.membershipsRemoved += removed;
  }
}
