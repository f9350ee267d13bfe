import type { AuditContext } from '../audit/audit.ts';
import {
  createGroup,
  deleteGroup,
  GROUP_COLUMNS,
  type Group,
  lockGroup,
  toGroup,
  touchGroup,
  updateGroup,
} from '../directory/groups.ts';
import {
  addMember,
  addUsersToGroups,
  removeMember,
  removeUsersFromGroupExcept,
  removeUsersFromGroups,
} from '../directory/members.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { sqlParams } from '../store/sql.ts';
import { GROUP_ATTRS } from './attributes.ts';
import { invalidValue } from './errors.ts';
import type { Filter } from './filter-ast.ts';
import { compileFilter } from './filter-sql.ts';
import { type ListQuery, listIds } from './list.ts';

/**
 * SCIM groups are directory groups with source `scim`; their members are SCIM users and groups.
 * Member changes are set operations in the database (the directory's bulk functions, with their
 * events and audit entries): a PATCH adding 1,000 members to a group of 50,000 reads and writes
 * those 1,000, never the 50,000.
 */
export interface MemberRef {
  value: string;
  type?: 'User' | 'Group' | undefined;
}

export interface ScimMember {
  value: string;
  type: 'User' | 'Group';
  display: string;
}

export interface ScimGroupInput {
  displayName: string;
  externalId: string | null;
  /** Undefined: leave the members as they are. */
  members?: MemberRef[] | undefined;
}

export type MemberChange =
  | { op: 'add' | 'remove' | 'replace'; refs: MemberRef[] }
  /** `remove members[type eq "Group"]`: the members the value filter matches. */
  | { op: 'removeWhere'; filter: Filter }
  | { op: 'removeAll' };

export interface GroupChanges {
  displayName?: string | undefined;
  externalId?: string | null | undefined;
  members: MemberChange[];
}

const SOURCE = 'scim';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function notFound(id: string): GatehouseError {
  return new GatehouseError('not_found', 'directory.group_not_found', `no SCIM group ${id}`);
}

async function lockScimGroup(tx: Queryable, id: string): Promise<Group> {
  const group = await lockGroup(tx, id).catch((error: unknown) => {
    if (error instanceof GatehouseError && error.kind === 'not_found') return undefined;
    throw error;
  });
  if (!group || group.source !== SOURCE) throw notFound(id);
  return group;
}

function checkVersion(group: Group, ifVersion: number | undefined): void {
  if (ifVersion !== undefined && ifVersion !== group.version)
    throw new GatehouseError(
      'precondition_failed',
      'directory.version_mismatch',
      `group ${group.id} has changed (version ${group.version})`,
    );
}

export async function getScimGroup(q: Queryable, id: string): Promise<Group> {
  const [group] = await loadGroups(q, [id]);
  if (!group) throw notFound(id);
  return group;
}

async function loadGroups(q: Queryable, ids: string[]): Promise<Group[]> {
  const valid = ids.filter((id) => UUID.test(id));
  if (valid.length === 0) return [];
  const { rows } = await q.query<Parameters<typeof toGroup>[0]>(
    `select ${GROUP_COLUMNS} from groups where id = any($1::uuid[]) and source = $2`,
    [valid, SOURCE],
  );
  const byId = new Map(rows.map((r) => [r.id, toGroup(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export async function listScimGroups(
  q: Queryable,
  query: ListQuery,
): Promise<{ total: number; groups: Group[] }> {
  const { total, ids } = await listIds(
    q,
    GROUP_ATTRS,
    { from: 'groups g', scope: `g.source = 'scim'`, id: 'g.id' },
    query,
  );
  return { total, groups: await loadGroups(q, ids) };
}

/** Direct members of some groups (for responses that include `members`), in a stable order. */
export async function scimMembers(q: Queryable, groupIds: string[]): Promise<Map<string, ScimMember[]>> {
  const result = new Map<string, ScimMember[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return result;
  const { rows } = await q.query<{
    group_id: string;
    value: string;
    type: 'User' | 'Group';
    display: string;
  }>(
    `select gm.group_id, u.id::text as value, 'User' as type, coalesce(u.display_name, u.user_name) as display
     from group_members gm join users u on u.id = gm.member_user_id
     where gm.group_id = any($1::uuid[]) and u.status <> 'deprovisioned'
     union all
     select gm.group_id, g.id::text, 'Group', g.name
     from group_members gm join groups g on g.id = gm.member_group_id
     where gm.group_id = any($1::uuid[])
     order by 1, 3 desc, 2`,
    [groupIds],
  );
  for (const row of rows)
    result.get(row.group_id)?.push({ value: row.value, type: row.type, display: row.display });
  return result;
}

/**
 * Member references → SCIM users and groups (not deprovisioned). With `strict`, an unknown or
 * malformed reference is invalidValue (adding); otherwise it is skipped (removing what is not
 * there is no error).
 */
async function resolveMembers(
  q: Queryable,
  refs: MemberRef[],
  strict: boolean,
): Promise<{ userIds: string[]; groupIds: string[] }> {
  const ids = [...new Set(refs.map((r) => r.value))];
  const wellFormed = ids.filter((id) => UUID.test(id));
  const { rows } = wellFormed.length
    ? await q.query<{ id: string; type: 'User' | 'Group' }>(
        `select id::text, 'User' as type from users where id = any($1::uuid[]) and source = 'scim' and status <> 'deprovisioned'
         union all
         select id::text, 'Group' from groups where id = any($1::uuid[]) and source = 'scim'`,
        [wellFormed],
      )
    : { rows: [] };
  const found = new Map(rows.map((r) => [r.id.toLowerCase(), r.type]));
  const userIds: string[] = [];
  const groupIds: string[] = [];
  for (const ref of refs) {
    const type = found.get(ref.value.toLowerCase());
    if (!type || (ref.type && ref.type !== type)) {
      if (strict)
        throw invalidValue(`members: no SCIM ${ref.type?.toLowerCase() ?? 'user or group'} ${ref.value}`);
      continue;
    }
    (type === 'User' ? userIds : groupIds).push(ref.value.toLowerCase());
  }
  return { userIds: [...new Set(userIds)], groupIds: [...new Set(groupIds)] };
}

export async function createScimGroup(
  tx: Queryable,
  context: AuditContext,
  input: ScimGroupInput,
): Promise<Group> {
  const group = await createGroup(
    tx,
    context,
    { name: input.displayName, externalId: input.externalId },
    { source: SOURCE },
  );
  if (input.members?.length)
    await applyMemberChange(tx, context, group.id, { op: 'add', refs: input.members });
  return group;
}

/** PUT: name, externalId and (when given) the whole member list. */
export async function replaceScimGroup(
  tx: Queryable,
  context: AuditContext,
  id: string,
  input: ScimGroupInput,
  options: { ifVersion?: number | undefined } = {},
): Promise<Group> {
  return patchScimGroup(
    tx,
    context,
    id,
    {
      displayName: input.displayName,
      externalId: input.externalId,
      members: input.members ? [{ op: 'replace', refs: input.members }] : [],
    },
    options,
  );
}

/** PATCH: attribute changes and member changes, in order, in the caller's transaction. */
export async function patchScimGroup(
  tx: Queryable,
  context: AuditContext,
  id: string,
  changes: GroupChanges,
  options: { ifVersion?: number | undefined } = {},
): Promise<Group> {
  let group = await lockScimGroup(tx, id);
  checkVersion(group, options.ifVersion);
  const update: { name?: string; externalId?: string | null } = {};
  if (changes.displayName !== undefined && changes.displayName !== group.name)
    update.name = changes.displayName;
  if (changes.externalId !== undefined && changes.externalId !== group.externalId)
    update.externalId = changes.externalId;
  if (Object.keys(update).length) group = await updateGroup(tx, context, id, update);
  let changed = false;
  for (const change of changes.members)
    changed = (await applyMemberChange(tx, context, id, change)) || changed;
  return changed ? touchGroup(tx, id) : group;
}

async function applyMemberChange(
  tx: Queryable,
  context: AuditContext,
  groupId: string,
  change: MemberChange,
): Promise<boolean> {
  let changed = false;
  if (change.op === 'add') {
    const { userIds, groupIds } = await resolveMembers(tx, change.refs, true);
    const { added, refused } = await addUsersToGroups(
      tx,
      context,
      userIds.map((userId) => ({ groupId, userId })),
    );
    if (refused[0]) throw refused[0].error;
    changed = added.length > 0;
    for (const memberId of groupIds)
      changed =
        (await addMember(tx, context, groupId, { groupId: memberId }).catch(cycleIsInvalid)) || changed;
    return changed;
  }
  if (change.op === 'remove' || change.op === 'removeWhere') {
    const refs = 'filter' in change ? await matchingMembers(tx, groupId, change.filter) : change.refs;
    const { userIds, groupIds } = await resolveMembers(tx, refs, false);
    const removed = await removeUsersFromGroups(
      tx,
      context,
      userIds.map((userId) => ({ groupId, userId })),
    );
    changed = removed.length > 0;
    for (const memberId of groupIds)
      changed = (await removeMember(tx, context, groupId, { groupId: memberId })) || changed;
    return changed;
  }
  const keep =
    change.op === 'replace' ? await resolveMembers(tx, change.refs, true) : { userIds: [], groupIds: [] };
  changed = (await removeUsersFromGroupExcept(tx, context, groupId, keep.userIds)).length > 0;
  const { rows } = await tx.query<{ id: string }>(
    'select member_group_id::text as id from group_members where group_id = $1 and member_group_id is not null',
    [groupId],
  );
  for (const { id } of rows)
    if (!keep.groupIds.includes(id))
      changed = (await removeMember(tx, context, groupId, { groupId: id })) || changed;
  if (change.op === 'replace') {
    const refs = [
      ...keep.userIds.map((value) => ({ value, type: 'User' as const })),
      ...keep.groupIds.map((value) => ({ value, type: 'Group' as const })),
    ];
    changed = (await applyMemberChange(tx, context, groupId, { op: 'add', refs })) || changed;
  }
  return changed;
}

/** The members a value filter matches, found by the database (only they are read). */
async function matchingMembers(q: Queryable, groupId: string, filter: Filter): Promise<MemberRef[]> {
  const members = GROUP_ATTRS.multis['members']!;
  const { values, param } = sqlParams();
  const condition = compileFilter(filter, GROUP_ATTRS, param, members).replaceAll('$E', 'm');
  const { rows } = await q.query<{ value: string; type: 'User' | 'Group' }>(
    `select m.value, m.type from groups g cross join lateral ${members.rows.replaceAll('$E', 'm')}
     where g.id = ${param(groupId)} and ${condition}`,
    values,
  );
  return rows;
}

function cycleIsInvalid(error: unknown): never {
  if (error instanceof GatehouseError && error.code === 'directory.membership_cycle')
    throw invalidValue(error.message);
  throw error;
}

export async function deleteScimGroup(
  tx: Queryable,
  context: AuditContext,
  id: string,
  options: { ifVersion?: number | undefined } = {},
): Promise<void> {
  const group = await lockScimGroup(tx, id);
  checkVersion(group, options.ifVersion);
  await deleteGroup(tx, context, id);
}
