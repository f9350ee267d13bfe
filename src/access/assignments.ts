import { type AuditContext, audit } from '../audit/audit.ts';
import { emit } from '../directory/events.ts';
import { findGroup, transitiveUserIds } from '../directory/groups.ts';
import { findUser } from '../directory/users.ts';
import { parseInput } from '../directory/validate.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { type AssignmentInput, assignmentCreateSchema } from './schemas.ts';

/** A user or a group holds a permission set in an account. */
export interface Assignment {
  id: string;
  accountId: string;
  permissionSetId: string;
  userId: string | null;
  groupId: string | null;
  createdAt: Date;
}

interface Row {
  id: string;
  account_id: string;
  permission_set_id: string;
  user_id: string | null;
  group_id: string | null;
  created_at: Date;
}

const COLUMNS = 'id, account_id, permission_set_id, user_id, group_id, created_at';
const toAssignment = (r: Row): Assignment => ({
  id: r.id,
  accountId: r.account_id,
  permissionSetId: r.permission_set_id,
  userId: r.user_id,
  groupId: r.group_id,
  createdAt: r.created_at,
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const assignmentTarget = (id: string) => `assignment:${id}`;
const notFound = (id: string) =>
  new GatehouseError('not_found', 'access.assignment_not_found', `no assignment ${id}`);
const principalOf = (a: Pick<Assignment, 'userId' | 'groupId'>) =>
  a.userId ? `user:${a.userId}` : `group:${a.groupId}`;

/** The users an assignment reaches: its user, or every user in its group, however deep. */
async function reachedUsers(q: Queryable, a: Pick<Assignment, 'userId' | 'groupId'>): Promise<string[]> {
  return a.userId ? [a.userId] : transitiveUserIds(q, a.groupId!);
}

export async function createAssignment(
  tx: Queryable,
  context: AuditContext,
  input: AssignmentInput,
): Promise<Assignment> {
  const data = parseInput(assignmentCreateSchema, input, 'access.invalid');
  const problems: { path: string; message: string }[] = [];
  const { rows: found } = await tx.query<{ account: boolean; set: boolean }>(
    `select exists (select 1 from accounts where id = $1) as account,
            exists (select 1 from permission_sets where id = $2) as set`,
    [data.accountId, data.permissionSetId],
  );
  if (!found[0]!.account) problems.push({ path: 'accountId', message: `no account ${data.accountId}` });
  if (!found[0]!.set)
    problems.push({ path: 'permissionSetId', message: `no permission set ${data.permissionSetId}` });
  if (data.userId) {
    const user = await findUser(tx, data.userId);
    if (!user) problems.push({ path: 'userId', message: `no user ${data.userId}` });
    else if (user.isRoot)
      problems.push({ path: 'userId', message: 'the root administrator can never hold credentials' });
    else if (user.status === 'deprovisioned')
      problems.push({ path: 'userId', message: 'the user is deprovisioned' });
  } else if (!(await findGroup(tx, data.groupId!))) {
    problems.push({ path: 'groupId', message: `no group ${data.groupId}` });
  }
  if (problems.length) {
    throw new GatehouseError(
      'not_found',
      'access.assignment_reference',
      problems.map((p) => `${p.path}: ${p.message}`).join('; '),
      {
        problems,
      },
    );
  }
  let row: Row;
  try {
    row = (
      await tx.query<Row>(
        `insert into assignments (account_id, permission_set_id, user_id, group_id) values ($1, $2, $3, $4) returning ${COLUMNS}`,
        [data.accountId, data.permissionSetId, data.userId ?? null, data.groupId ?? null],
      )
    ).rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error))
      throw new GatehouseError('conflict', 'access.assignment_exists', 'this assignment exists already');
    throw error;
  }
  const assignment = toAssignment(row!);
  await emit(tx, {
    type: 'assignment.created',
    userId: assignment.userId,
    groupId: assignment.groupId,
    data: {
      assignmentId: assignment.id,
      accountId: assignment.accountId,
      permissionSetId: assignment.permissionSetId,
    },
  });
  await audit(tx, context, {
    action: 'assignment.create',
    target: assignmentTarget(assignment.id),
    details: {
      principal: principalOf(assignment),
      accountId: assignment.accountId,
      permissionSetId: assignment.permissionSetId,
    },
  });
  return assignment;
}

export async function getAssignment(q: Queryable, id: string): Promise<Assignment> {
  if (!UUID.test(id)) throw notFound(id);
  const { rows } = await q.query<Row>(`select ${COLUMNS} from assignments where id = $1`, [id]);
  if (!rows[0]) throw notFound(id);
  return toAssignment(rows[0]);
}

export interface AssignmentQuery {
  accountId?: string | undefined;
  permissionSetId?: string | undefined;
  userId?: string | undefined;
  groupId?: string | undefined;
}

export async function listAssignments(q: Queryable, query: AssignmentQuery = {}): Promise<Assignment[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  };
  add('account_id', query.accountId);
  add('permission_set_id', query.permissionSetId);
  add('user_id', query.userId);
  add('group_id', query.groupId);
  const { rows } = await q.query<Row>(
    `select ${COLUMNS} from assignments ${where.length ? `where ${where.join(' and ')}` : ''} order by created_at, id`,
    params,
  );
  return rows.map(toAssignment);
}

/**
 * Removes an assignment. Every user it reached gets an assignment.removed event (revocation
 * decides whether they still hold the same permission set in the account another way).
 */
export async function removeAssignment(tx: Queryable, context: AuditContext, id: string): Promise<void> {
  if (!UUID.test(id)) throw notFound(id);
  const { rows } = await tx.query<Row>(`select ${COLUMNS} from assignments where id = $1 for update`, [id]);
  if (!rows[0]) throw notFound(id);
  const assignment = toAssignment(rows[0]);
  const users = await reachedUsers(tx, assignment);
  await tx.query('delete from assignments where id = $1', [id]);
  const data = {
    assignmentId: id,
    accountId: assignment.accountId,
    permissionSetId: assignment.permissionSetId,
    principal: principalOf(assignment),
  };
  for (const userId of users) {
    await emit(tx, { type: 'assignment.removed', userId, groupId: assignment.groupId, data });
  }
  if (users.length === 0) await emit(tx, { type: 'assignment.removed', groupId: assignment.groupId, data });
  await audit(tx, context, {
    action: 'assignment.delete',
    target: assignmentTarget(id),
    details: { principal: data.principal, accountId: data.accountId, permissionSetId: data.permissionSetId },
  });
}

/** One (account, permission set) a user may use, with how they got it. */
export interface EffectiveAccess {
  accountId: string;
  accountName: string;
  permissionSetId: string;
  permissionSetName: string;
  permissionSetVersion: number;
  sessionDuration: string;
  /** `user:<id>` for a direct assignment, `group:<id>` for each group that grants it. */
  via: string[];
}

/**
 * What a user may use: their direct assignments and those of every group they are in, however
 * deep (one recursive query). A user who is not active, or the root administrator, has none.
 */
export async function effectiveAccess(q: Queryable, userId: string): Promise<EffectiveAccess[]> {
  if (!UUID.test(userId)) return [];
  const { rows } = await q.query<{
    account_id: string;
    account_name: string;
    permission_set_id: string;
    permission_set_name: string;
    version: number;
    session_duration: string;
    via: string[];
  }>(
    `with recursive chain(id, depth) as (
       select group_id, 1 from group_members where member_user_id = $1
       union
       select gm.group_id, chain.depth + 1 from group_members gm join chain on gm.member_group_id = chain.id
       where chain.depth < 64
     ),
     held as (
       select a.account_id, a.permission_set_id, 'user:' || a.user_id::text as via
       from assignments a where a.user_id = $1
       union
       select a.account_id, a.permission_set_id, 'group:' || a.group_id::text
       from assignments a where a.group_id in (select id from chain)
     )
     select h.account_id, ac.name as account_name, h.permission_set_id, ps.name as permission_set_name,
            ps.version, ps.session_duration, array_agg(h.via order by h.via) as via
     from held h
     join accounts ac on ac.id = h.account_id
     join permission_sets ps on ps.id = h.permission_set_id
     join users u on u.id = $1 and u.status = 'active' and not u.is_root
     group by h.account_id, ac.name, h.permission_set_id, ps.name, ps.version, ps.session_duration
     order by lower(ac.name), h.account_id, lower(ps.name)`,
    [userId],
  );
  return rows.map((r) => ({
    accountId: r.account_id,
    accountName: r.account_name,
    permissionSetId: r.permission_set_id,
    permissionSetName: r.permission_set_name,
    permissionSetVersion: r.version,
    sessionDuration: r.session_duration,
    via: r.via,
  }));
}
