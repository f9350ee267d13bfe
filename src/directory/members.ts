import { type AuditContext, audit, auditMany } from '../audit/audit.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { emit, emitMany } from './events.ts';
import { type Group, groupTarget, lockGroup, transitiveUserIds } from './groups.ts';
import { lockUser } from './users.ts';

export type Member = { userId: string } | { groupId: string };

const describe = (member: Member) =>
  'userId' in member ? `user:${member.userId}` : `group:${member.groupId}`;

/**
 * Adds a user or a group to a group. Nesting that would make a cycle is refused. Changes to
 * group-in-group edges are serialised by a transaction-scoped lock, so two concurrent additions
 * cannot together close a cycle that each alone would not.
 */
export async function addMember(
  tx: Queryable,
  context: AuditContext,
  groupId: string,
  member: Member,
): Promise<boolean> {
  await lockGroup(tx, groupId);
  let inserted: number;
  if ('userId' in member) {
    const user = await lockUser(tx, member.userId);
    if (user.status === 'deprovisioned') {
      throw new GatehouseError(
        'conflict',
        'directory.user_deprovisioned',
        `user ${user.id} is deprovisioned`,
      );
    }
    ({ rowCount: inserted } = await tx.query(
      `insert into group_members (group_id, member_user_id) values ($1, $2)
       on conflict (group_id, member_user_id) where member_user_id is not null do nothing`,
      [groupId, member.userId],
    ));
  } else {
    if (member.groupId === groupId) throw cycle(groupId, member.groupId);
    await tx.query("select pg_advisory_xact_lock(hashtextextended('gatehouse:group-nesting', 0))");
    await lockGroup(tx, member.groupId);
    // A cycle would appear if the parent is already inside the child (directly or deeper).
    const { rows } = await tx.query<{ found: boolean }>(
      `with recursive inside(id) as (
         select $1::uuid
         union
         select gm.member_group_id from group_members gm join inside on gm.group_id = inside.id
         where gm.member_group_id is not null
       ) select exists (select 1 from inside where id = $2::uuid) as found`,
      [member.groupId, groupId],
    );
    if (rows[0]!.found) throw cycle(groupId, member.groupId);
    ({ rowCount: inserted } = await tx.query(
      `insert into group_members (group_id, member_group_id) values ($1, $2)
       on conflict (group_id, member_group_id) where member_group_id is not null do nothing`,
      [groupId, member.groupId],
    ));
  }
  if (!inserted) return false;
  const users = 'userId' in member ? [member.userId] : await transitiveUserIds(tx, member.groupId);
  for (const userId of users) {
    await emit(tx, { type: 'membership.added', userId, groupId, data: { member: describe(member) } });
  }
  await audit(tx, context, {
    action: 'membership.add',
    target: groupTarget(groupId),
    details: { member: describe(member) },
  });
  return true;
}

/**
 * Removes a member. Every user who was in the group through that member gets a
 * membership.removed event (revocation decides what they lose).
 */
export async function removeMember(
  tx: Queryable,
  context: AuditContext,
  groupId: string,
  member: Member,
): Promise<boolean> {
  await lockGroup(tx, groupId);
  const users = 'userId' in member ? [member.userId] : await transitiveUserIds(tx, member.groupId);
  const { rowCount } =
    'userId' in member
      ? await tx.query('delete from group_members where group_id = $1 and member_user_id = $2', [
          groupId,
          member.userId,
        ])
      : await tx.query('delete from group_members where group_id = $1 and member_group_id = $2', [
          groupId,
          member.groupId,
        ]);
  if (!rowCount) return false;
  for (const userId of users) {
    await emit(tx, { type: 'membership.removed', userId, groupId, data: { member: describe(member) } });
  }
  await audit(tx, context, {
    action: 'membership.remove',
    target: groupTarget(groupId),
    details: { member: describe(member) },
  });
  return true;
}

export interface UserMembership {
  groupId: string;
  userId: string;
}

/**
 * Adds many users to groups at once (a directory sync mirroring its groups): the same events and
 * audit entries as addMember for each membership added, in a few statements. Users that are
 * deprovisioned or missing, and groups that are missing, are refused (returned, not thrown);
 * memberships that exist already are left as they are.
 */
export async function addUsersToGroups(
  tx: Queryable,
  context: AuditContext,
  memberships: UserMembership[],
): Promise<{ added: UserMembership[]; refused: (UserMembership & { error: GatehouseError })[] }> {
  if (memberships.length === 0) return { added: [], refused: [] };
  // Groups, then users, each in id order: the order addMember locks them in, so no deadlocks.
  const groups = await lockIds(
    tx,
    'groups',
    memberships.map((m) => m.groupId),
  );
  const users = await lockIds(
    tx,
    'users',
    memberships.map((m) => m.userId),
  );
  const refused: (UserMembership & { error: GatehouseError })[] = [];
  const eligible = memberships.filter((m) => {
    const status = users.get(m.userId);
    const error = !groups.has(m.groupId)
      ? new GatehouseError('not_found', 'directory.group_not_found', `no group ${m.groupId}`)
      : status === undefined
        ? new GatehouseError('not_found', 'directory.user_not_found', `no user ${m.userId}`)
        : status === 'deprovisioned'
          ? new GatehouseError(
              'conflict',
              'directory.user_deprovisioned',
              `user ${m.userId} is deprovisioned`,
            )
          : undefined;
    if (error) refused.push({ ...m, error });
    return !error;
  });
  const { rows } = await tx.query<{ group_id: string; member_user_id: string }>(
    `insert into group_members (group_id, member_user_id) select g, u from unnest($1::uuid[], $2::uuid[]) as t(g, u)
     on conflict (group_id, member_user_id) where member_user_id is not null do nothing
     returning group_id, member_user_id`,
    [eligible.map((m) => m.groupId), eligible.map((m) => m.userId)],
  );
  const added = rows.map((r) => ({ groupId: r.group_id, userId: r.member_user_id }));
  await recordUserMemberships(tx, context, added, 'added');
  return { added, refused };
}

/** Removes many user memberships at once, with removeMember's events and audit entries. */
export async function removeUsersFromGroups(
  tx: Queryable,
  context: AuditContext,
  memberships: UserMembership[],
): Promise<UserMembership[]> {
  if (memberships.length === 0) return [];
  await lockIds(
    tx,
    'groups',
    memberships.map((m) => m.groupId),
  );
  const { rows } = await tx.query<{ group_id: string; member_user_id: string }>(
    `delete from group_members gm using unnest($1::uuid[], $2::uuid[]) as t(g, u)
     where gm.group_id = t.g and gm.member_user_id = t.u
     returning gm.group_id, gm.member_user_id`,
    [memberships.map((m) => m.groupId), memberships.map((m) => m.userId)],
  );
  const removed = rows.map((r) => ({ groupId: r.group_id, userId: r.member_user_id }));
  await recordUserMemberships(tx, context, removed, 'removed');
  return removed;
}

/**
 * Removes every direct user member of a group except `keep` (a replace of the member list, or a
 * removal of all), with removeMember's events and audit entries. Done in the database: only the
 * removed memberships come back, never the whole member list of a large group.
 */
export async function removeUsersFromGroupExcept(
  tx: Queryable,
  context: AuditContext,
  groupId: string,
  keep: string[],
): Promise<UserMembership[]> {
  await lockGroup(tx, groupId);
  const { rows } = await tx.query<{ member_user_id: string }>(
    `delete from group_members where group_id = $1 and member_user_id is not null
       and not (member_user_id = any($2::uuid[]))
     returning member_user_id`,
    [groupId, keep],
  );
  const removed = rows.map((r) => ({ groupId, userId: r.member_user_id }));
  await recordUserMemberships(tx, context, removed, 'removed');
  return removed;
}

/** Locks rows by id in id order (as the one-by-one functions would); returns id → status (users) or id. */
async function lockIds(
  tx: Queryable,
  table: 'users' | 'groups',
  ids: string[],
): Promise<Map<string, string>> {
  const column = table === 'users' ? 'status' : 'id';
  const { rows } = await tx.query<{ id: string; v: string }>(
    `select id, ${column} as v from ${table} where id = any($1::uuid[]) order by id for update`,
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.id, r.v]));
}

async function recordUserMemberships(
  tx: Queryable,
  context: AuditContext,
  changed: UserMembership[],
  how: 'added' | 'removed',
): Promise<void> {
  await emitMany(
    tx,
    changed.map((m) => ({
      type: how === 'added' ? 'membership.added' : 'membership.removed',
      userId: m.userId,
      groupId: m.groupId,
      data: { member: `user:${m.userId}` },
    })),
  );
  await auditMany(
    tx,
    context,
    changed.map((m) => ({
      action: how === 'added' ? 'membership.add' : 'membership.remove',
      target: groupTarget(m.groupId),
      details: { member: `user:${m.userId}` },
    })),
  );
}

function cycle(groupId: string, memberId: string): GatehouseError {
  return new GatehouseError(
    'conflict',
    'directory.membership_cycle',
    `group ${memberId} cannot be a member of ${groupId}: ${groupId} is already inside it`,
  );
}

export interface DirectMember {
  type: 'user' | 'group';
  id: string;
  name: string;
  since: Date;
}

/** Direct members (users and groups), ordered by type then id, keyset-paged. */
export async function listMembers(
  q: Queryable,
  groupId: string,
  query: { limit: number; after?: { type: string; id: string } | undefined },
): Promise<{ members: DirectMember[]; next?: { type: string; id: string } }> {
  const params: unknown[] = [groupId, query.limit + 1];
  let after = '';
  if (query.after) {
    params.push(query.after.type, query.after.id);
    after = 'where (type, id::text) > ($3, $4)';
  }
  const { rows } = await q.query<{ type: 'user' | 'group'; id: string; name: string; since: Date }>(
    `select * from (
       select 'group' as type, g.id, g.name, gm.created_at as since from group_members gm join groups g on g.id = gm.member_group_id where gm.group_id = $1
       union all
       select 'user' as type, u.id, u.user_name as name, gm.created_at as since from group_members gm join users u on u.id = gm.member_user_id where gm.group_id = $1
     ) m ${after} order by type, id::text limit $2`,
    params,
  );
  const members = rows.slice(0, query.limit);
  const last = members.at(-1);
  return rows.length > query.limit && last
    ? { members, next: { type: last.type, id: last.id } }
    : { members };
}

export interface EffectiveGroup extends Pick<Group, 'id' | 'name' | 'source'> {
  /** 1 for a direct membership, 2 for a group inside one, … (the shortest path). */
  depth: number;
}

/** Every group a user is in, directly or through nesting: one recursive query. */
export async function effectiveGroups(q: Queryable, userId: string): Promise<EffectiveGroup[]> {
  const { rows } = await q.query<EffectiveGroup>(
    `with recursive chain(id, depth) as (
       select group_id, 1 from group_members where member_user_id = $1
       union
       select gm.group_id, chain.depth + 1 from group_members gm join chain on gm.member_group_id = chain.id
       where chain.depth < 64
     )
     select g.id, g.name, g.source, min(chain.depth)::int as depth
     from chain join groups g on g.id = chain.id group by g.id, g.name, g.source order by g.name`,
    [userId],
  );
  return rows;
}
