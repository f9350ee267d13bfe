import { GROUP_COLUMNS, type Group, toGroup } from '../directory/groups.ts';
import { toUser, USER_COLUMNS, type User } from '../directory/users.ts';
import type { Queryable } from '../store/db.ts';

/**
 * The directory as it stands before an apply, read once in the apply's transaction (which holds
 * the apply lock): the users that hold a name, every group, and the members of built-in groups.
 */
export interface DirectorySnapshot {
  /** Users that hold their name (not deprovisioned), of every source. */
  users: User[];
  /** By user name, case-insensitive. */
  userByName(name: string): User | undefined;
  userById(id: string): User | undefined;
  /** A group by source and name (case-insensitive): `builtin`, `ldap:corp-ad`, … */
  groupByName(name: string, source?: string): Group | undefined;
  groupById(id: string): Group | undefined;
  /** Built-in groups. */
  groups: Group[];
  /** Direct members of a built-in group (deprovisioned users left out: they hold nothing). */
  membersOf(groupId: string): { userIds: string[]; groupIds: string[] };
}

const groupKey = (source: string, name: string) => `${source}\u0000${name.toLowerCase()}`;

export async function readDirectory(q: Queryable): Promise<DirectorySnapshot> {
  const users = (
    await q.query<Parameters<typeof toUser>[0]>(
      `select ${USER_COLUMNS} from users where status <> 'deprovisioned' order by lower(user_name)`,
    )
  ).rows.map(toUser);
  const allGroups = (
    await q.query<Parameters<typeof toGroup>[0]>(`select ${GROUP_COLUMNS} from groups order by lower(name)`)
  ).rows.map(toGroup);
  const edges = (
    await q.query<{ group_id: string; member_user_id: string | null; member_group_id: string | null }>(
      `select gm.group_id, gm.member_user_id, gm.member_group_id from group_members gm
       join groups g on g.id = gm.group_id where g.source = 'builtin'`,
    )
  ).rows;

  const usersByName = new Map(users.map((u) => [u.userName.toLowerCase(), u]));
  const usersById = new Map(users.map((u) => [u.id, u]));
  const groupsByName = new Map(allGroups.map((g) => [groupKey(g.source, g.name), g]));
  const groupsById = new Map(allGroups.map((g) => [g.id, g]));
  const members = new Map<string, { userIds: string[]; groupIds: string[] }>();
  for (const edge of edges) {
    const entry = members.get(edge.group_id) ?? { userIds: [], groupIds: [] };
    members.set(edge.group_id, entry);
    if (edge.member_user_id && usersById.has(edge.member_user_id)) entry.userIds.push(edge.member_user_id);
    if (edge.member_group_id) entry.groupIds.push(edge.member_group_id);
  }
  return {
    users,
    userByName: (name) => usersByName.get(name.toLowerCase()),
    userById: (id) => usersById.get(id),
    groupByName: (name, source = 'builtin') => groupsByName.get(groupKey(source, name)),
    groupById: (id) => groupsById.get(id),
    groups: allGroups.filter((g) => g.source === 'builtin'),
    membersOf: (groupId) => members.get(groupId) ?? { userIds: [], groupIds: [] },
  };
}
