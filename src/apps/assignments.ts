import { type AuditContext, audit } from '../audit/audit.ts';
import { lockGroup } from '../directory/groups.ts';
import type { Member } from '../directory/members.ts';
import { isUuid, lockUser } from '../directory/users.ts';
import type { Queryable } from '../store/db.ts';
import {
  APPLICATION_COLUMNS,
  type Application,
  applicationTarget,
  lockApplication,
  toApplication,
} from './apps.ts';

const describe = (member: Member) =>
  'userId' in member ? `user:${member.userId}` : `group:${member.groupId}`;

/** Lets a user, or every member of a group (nested groups included), use an application. */
export async function assignApplication(
  tx: Queryable,
  context: AuditContext,
  applicationId: string,
  member: Member,
): Promise<boolean> {
  await lockApplication(tx, applicationId);
  if ('userId' in member) await lockUser(tx, member.userId);
  else await lockGroup(tx, member.groupId);
  const { rowCount } =
    'userId' in member
      ? await tx.query(
          `insert into application_assignments (application_id, user_id) values ($1, $2)
           on conflict (application_id, user_id) where user_id is not null do nothing`,
          [applicationId, member.userId],
        )
      : await tx.query(
          `insert into application_assignments (application_id, group_id) values ($1, $2)
           on conflict (application_id, group_id) where group_id is not null do nothing`,
          [applicationId, member.groupId],
        );
  if (!rowCount) return false;
  await audit(tx, context, {
    action: 'application.assign',
    target: applicationTarget(applicationId),
    details: { principal: describe(member) },
  });
  return true;
}

export async function unassignApplication(
  tx: Queryable,
  context: AuditContext,
  applicationId: string,
  member: Member,
): Promise<boolean> {
  await lockApplication(tx, applicationId);
  const { rowCount } =
    'userId' in member
      ? await tx.query('delete from application_assignments where application_id = $1 and user_id = $2', [
          applicationId,
          member.userId,
        ])
      : await tx.query('delete from application_assignments where application_id = $1 and group_id = $2', [
          applicationId,
          member.groupId,
        ]);
  if (!rowCount) return false;
  await audit(tx, context, {
    action: 'application.unassign',
    target: applicationTarget(applicationId),
    details: { principal: describe(member) },
  });
  return true;
}

export interface Assignment {
  type: 'user' | 'group';
  id: string;
  name: string;
  since: Date;
}

export async function listAssignments(q: Queryable, applicationId: string): Promise<Assignment[]> {
  const { rows } = await q.query<Assignment>(
    `select 'user' as type, u.id, u.user_name as name, a.created_at as since
       from application_assignments a join users u on u.id = a.user_id where a.application_id = $1
     union all
     select 'group' as type, g.id, g.name, a.created_at as since
       from application_assignments a join groups g on g.id = a.group_id where a.application_id = $1
     order by type, name`,
    [applicationId],
  );
  return rows;
}

/**
 * The applications an active user may use: assigned to them directly or to any group they are in,
 * at any depth of nesting. Disabled and deprovisioned users may use none.
 */
const USABLE_SQL = `
  with recursive chain(id, depth) as (
    select group_id, 1 from group_members where member_user_id = $1
    union
    select gm.group_id, chain.depth + 1 from group_members gm join chain on gm.member_group_id = chain.id
    where chain.depth < 64
  )
  select ${APPLICATION_COLUMNS} from applications app
  where exists (select 1 from users where id = $1 and status = 'active')
    and exists (
      select 1 from application_assignments a
      where a.application_id = app.id and (a.user_id = $1 or a.group_id in (select id from chain))
    )`;

export async function listUserApplications(q: Queryable, userId: string): Promise<Application[]> {
  if (!isUuid(userId)) return [];
  const { rows } = await q.query<Parameters<typeof toApplication>[0]>(
    `${USABLE_SQL} order by lower(coalesce(app.label, app.name)), app.id`,
    [userId],
  );
  return rows.map(toApplication);
}

export async function canUseApplication(
  q: Queryable,
  applicationId: string,
  userId: string,
): Promise<boolean> {
  if (!isUuid(applicationId) || !isUuid(userId)) return false;
  const { rows } = await q.query(`${USABLE_SQL} and app.id = $2`, [userId, applicationId]);
  return rows.length > 0;
}
