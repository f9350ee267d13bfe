import { type AuditContext, audit, auditMany } from '../audit/audit.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { likePrefix, sqlParams } from '../store/sql.ts';
import { emit, emitMany } from './events.ts';
import {
  type CreateGroupInput,
  createGroupSchema,
  type UpdateGroupInput,
  updateGroupSchema,
} from './schemas.ts';
import { isUuid, TRANSITIVE_USERS_SQL } from './users.ts';
import { parseInput } from './validate.ts';

export interface Group {
  id: string;
  name: string;
  description: string | null;
  source: string;
  externalId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  source: string;
  external_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const GROUP_COLUMNS = 'id, name, description, source, external_id, version, created_at, updated_at';

export const toGroup = (row: GroupRow): Group => ({
  id: row.id,
  name: row.name,
  description: row.description,
  source: row.source,
  externalId: row.external_id,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const groupTarget = (id: string) => `group:${id}`;

function groupExists(name: string): GatehouseError {
  return new GatehouseError('conflict', 'directory.group_exists', `a group named "${name}" exists already`);
}

function notFound(id: string): GatehouseError {
  return new GatehouseError('not_found', 'directory.group_not_found', `no group ${id}`);
}

export async function findGroup(q: Queryable, id: string): Promise<Group | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await q.query<GroupRow>(`select ${GROUP_COLUMNS} from groups where id = $1`, [id]);
  return rows[0] && toGroup(rows[0]);
}

export async function getGroup(q: Queryable, id: string): Promise<Group> {
  const group = await findGroup(q, id);
  if (!group) throw notFound(id);
  return group;
}

/** Group names are unique per source: `platform` (built-in) and `ldap:corp/platform` can coexist. */
export async function findGroupByName(
  q: Queryable,
  name: string,
  source = 'builtin',
): Promise<Group | undefined> {
  const { rows } = await q.query<GroupRow>(
    `select ${GROUP_COLUMNS} from groups where source = $1 and lower(name) = lower($2)`,
    [source, name],
  );
  return rows[0] && toGroup(rows[0]);
}

export async function createGroup(
  tx: Queryable,
  context: AuditContext,
  input: CreateGroupInput,
  options: { source?: string } = {},
): Promise<Group> {
  const data = parseInput(createGroupSchema, input);
  const source = options.source ?? 'builtin';
  let row: GroupRow;
  try {
    const { rows } = await tx.query<GroupRow>(
      `insert into groups (name, description, source, external_id) values ($1, $2, $3, $4) returning ${GROUP_COLUMNS}`,
      [data.name, data.description ?? null, source, data.externalId ?? null],
    );
    row = rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw groupExists(data.name);
    }
    throw error;
  }
  await emit(tx, { type: 'group.created', groupId: row.id });
  await audit(tx, context, {
    action: 'group.create',
    target: groupTarget(row.id),
    details: { name: row.name, source },
  });
  return toGroup(row);
}

/**
 * Creates many groups of one source at once (a directory sync's first run), with createGroup's
 * events and audit entries. An input that is invalid, or whose name (or external id) the source has
 * already, is refused (returned by index, not thrown); the others are created.
 */
export async function createGroups(
  tx: Queryable,
  context: AuditContext,
  inputs: CreateGroupInput[],
  options: { source?: string } = {},
): Promise<{ created: Group[]; refused: { index: number; error: GatehouseError }[] }> {
  const source = options.source ?? 'builtin';
  const refused: { index: number; error: GatehouseError }[] = [];
  const valid: { index: number; data: ReturnType<typeof createGroupSchema.parse> }[] = [];
  inputs.forEach((input, index) => {
    try {
      valid.push({ index, data: parseInput(createGroupSchema, input) });
    } catch (error) {
      if (!(error instanceof GatehouseError)) throw error;
      refused.push({ index, error });
    }
  });
  if (valid.length === 0) return { created: [], refused };
  const { rows } = await tx.query<GroupRow>(
    `insert into groups (name, description, source, external_id)
     select n, d, $3, x from unnest($1::text[], $2::text[], $4::text[]) with ordinality as t(n, d, x, ord)
     order by ord
     on conflict do nothing
     returning ${GROUP_COLUMNS}`,
    [
      valid.map((v) => v.data.name),
      valid.map((v) => v.data.description ?? null),
      source,
      valid.map((v) => v.data.externalId ?? null),
    ],
  );
  const byName = new Map(rows.map((row) => [row.name.toLowerCase(), row]));
  const created: Group[] = [];
  for (const { index, data } of valid) {
    const row = byName.get(data.name.toLowerCase());
    if (row && (row.external_id ?? null) === (data.externalId ?? null)) {
      created.push(toGroup(row));
      byName.delete(data.name.toLowerCase());
    } else
      refused.push({
        index,
        error: groupExists(data.name),
      });
  }
  refused.sort((a, b) => a.index - b.index);
  await emitMany(
    tx,
    created.map((g) => ({ type: 'group.created', groupId: g.id })),
  );
  await auditMany(
    tx,
    context,
    created.map((g) => ({
      action: 'group.create',
      target: groupTarget(g.id),
      details: { name: g.name, source },
    })),
  );
  return { created, refused };
}

export async function updateGroup(
  tx: Queryable,
  context: AuditContext,
  id: string,
  input: UpdateGroupInput,
  options: { ifVersion?: number } = {},
): Promise<Group> {
  const patch = parseInput(updateGroupSchema, input);
  const current = await lockGroup(tx, id);
  if (options.ifVersion !== undefined && options.ifVersion !== current.version) {
    throw new GatehouseError(
      'precondition_failed',
      'directory.version_mismatch',
      `group ${id} has changed (version ${current.version})`,
    );
  }
  const changed = Object.entries({
    name: patch.name,
    description: patch.description,
    external_id: patch.externalId,
  }).filter(([, v]) => v !== undefined);
  if (changed.length === 0) return current;
  let row: GroupRow;
  try {
    const { rows } = await tx.query<GroupRow>(
      `update groups set ${changed.map(([c], i) => `${c} = $${i + 2}`).join(', ')}, version = version + 1, updated_at = now()
       where id = $1 returning ${GROUP_COLUMNS}`,
      [id, ...changed.map(([, v]) => v)],
    );
    row = rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw groupExists(patch.name ?? '');
    }
    throw error;
  }
  const fields = changed.map(([c]) => c);
  await emit(tx, { type: 'group.updated', groupId: id, data: { fields } });
  await audit(tx, context, { action: 'group.update', target: groupTarget(id), details: { fields } });
  return toGroup(row);
}

/**
 * Moves a group's version on after a change of its members, so that a client holding the group
 * (its members included, as SCIM does) sees its ETag go stale.
 */
export async function touchGroup(tx: Queryable, id: string): Promise<Group> {
  const { rows } = await tx.query<GroupRow>(
    `update groups set version = version + 1, updated_at = now() where id = $1 returning ${GROUP_COLUMNS}`,
    [id],
  );
  if (!rows[0]) throw notFound(id);
  return toGroup(rows[0]);
}

export async function lockGroup(tx: Queryable, id: string): Promise<Group> {
  if (!isUuid(id)) throw notFound(id);
  const { rows } = await tx.query<GroupRow>(`select ${GROUP_COLUMNS} from groups where id = $1 for update`, [
    id,
  ]);
  if (!rows[0]) throw notFound(id);
  return toGroup(rows[0]);
}

/**
 * Deletes a group and its memberships. Everyone who was in it (directly or through nesting) gets
 * a membership.removed event: what they held through the group must end.
 */
export async function deleteGroup(tx: Queryable, context: AuditContext, id: string): Promise<void> {
  const group = await lockGroup(tx, id);
  const affected = await transitiveUserIds(tx, id);
  await tx.query('delete from groups where id = $1', [id]);
  for (const userId of affected) {
    await emit(tx, { type: 'membership.removed', userId, groupId: id, data: { reason: 'group deleted' } });
  }
  await emit(tx, { type: 'group.deleted', groupId: id, data: { name: group.name, source: group.source } });
  await audit(tx, context, {
    action: 'group.delete',
    target: groupTarget(id),
    details: { name: group.name, source: group.source, affectedUsers: affected.length },
  });
}

export async function transitiveUserIds(q: Queryable, groupId: string): Promise<string[]> {
  const { rows } = await q.query<{ member_user_id: string }>(
    `select distinct member_user_id from (${TRANSITIVE_USERS_SQL.replace('$GROUP', '$1')}) t`,
    [groupId],
  );
  return rows.map((r) => r.member_user_id);
}

export interface GroupListQuery {
  limit: number;
  after?: { name: string; id: string } | undefined;
  source?: string | undefined;
  search?: string | undefined;
}

export async function listGroups(
  q: Queryable,
  query: GroupListQuery,
): Promise<{ groups: Group[]; next?: { name: string; id: string } }> {
  const where: string[] = [];
  const { values: params, param } = sqlParams();
  if (query.after)
    where.push(`(lower(name), id) > (${param(query.after.name)}, ${param(query.after.id)}::uuid)`);
  if (query.source) where.push(`source = ${param(query.source)}`);
  if (query.search) where.push(`lower(name) like ${param(likePrefix(query.search.toLowerCase()))}`);
  const { rows } = await q.query<GroupRow>(
    `select ${GROUP_COLUMNS} from groups ${where.length ? `where ${where.join(' and ')}` : ''}
     order by lower(name), id limit ${param(query.limit + 1)}`,
    params,
  );
  const groups = rows.slice(0, query.limit).map(toGroup);
  const last = groups.at(-1);
  return rows.length > query.limit && last
    ? { groups, next: { name: last.name.toLowerCase(), id: last.id } }
    : { groups };
}
