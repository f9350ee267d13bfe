import { type AuditContext, audit, auditMany } from '../audit/audit.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { likePrefix, sqlParams } from '../store/sql.ts';
import { emit, emitMany } from './events.ts';
import { type CreateUserInput, createUserSchema, type UpdateUserInput, updateUserSchema } from './schemas.ts';
import { parseInput } from './validate.ts';

export type UserStatus = 'active' | 'disabled' | 'deprovisioned';

export interface Email {
  value: string;
  type?: string | undefined;
  primary?: boolean | undefined;
}

export interface User {
  id: string;
  userName: string;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: Email[];
  attributes: Record<string, string>;
  status: UserStatus;
  /** 'builtin', 'scim' or 'ldap:<connector id>' */
  source: string;
  externalId: string | null;
  isRoot: boolean;
  /** Everything issued to the user before this instant is invalid. */
  validAfter: Date;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  erasedAt: Date | null;
}

interface UserRow {
  id: string;
  user_name: string;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  emails: Email[];
  attributes: Record<string, string>;
  status: UserStatus;
  source: string;
  external_id: string | null;
  is_root: boolean;
  valid_after: Date;
  version: number;
  created_at: Date;
  updated_at: Date;
  erased_at: Date | null;
}

export const USER_COLUMNS =
  'id, user_name, display_name, given_name, family_name, emails, attributes, status, source, external_id, is_root, valid_after, version, created_at, updated_at, erased_at';

export const toUser = (row: UserRow): User => ({
  id: row.id,
  userName: row.user_name,
  displayName: row.display_name,
  givenName: row.given_name,
  familyName: row.family_name,
  emails: row.emails,
  attributes: row.attributes,
  status: row.status,
  source: row.source,
  externalId: row.external_id,
  isRoot: row.is_root,
  validAfter: row.valid_after,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  erasedAt: row.erased_at,
});

export const userTarget = (id: string) => `user:${id}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

function notFound(id: string): GatehouseError {
  return new GatehouseError('not_found', 'directory.user_not_found', `no user ${id}`);
}

function nameTaken(userName: string): GatehouseError {
  return new GatehouseError('conflict', 'directory.user_exists', `a user named "${userName}" exists already`);
}

export async function getUser(q: Queryable, id: string): Promise<User> {
  const user = await findUser(q, id);
  if (!user) throw notFound(id);
  return user;
}

export async function findUser(q: Queryable, id: string): Promise<User | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await q.query<UserRow>(`select ${USER_COLUMNS} from users where id = $1`, [id]);
  return rows[0] && toUser(rows[0]);
}

/** The person currently holding a user name (case-insensitive); tombstones hold none. */
export async function findUserByName(q: Queryable, userName: string): Promise<User | undefined> {
  const { rows } = await q.query<UserRow>(
    `select ${USER_COLUMNS} from users where lower(user_name) = lower($1) and status <> 'deprovisioned'`,
    [userName],
  );
  return rows[0] && toUser(rows[0]);
}

export async function findUserByExternalId(
  q: Queryable,
  source: string,
  externalId: string,
): Promise<User | undefined> {
  const { rows } = await q.query<UserRow>(
    `select ${USER_COLUMNS} from users where source = $1 and external_id = $2`,
    [source, externalId],
  );
  return rows[0] && toUser(rows[0]);
}

/** Creates a user (in the caller's transaction), with its event and audit entry. */
export async function createUser(
  tx: Queryable,
  context: AuditContext,
  input: CreateUserInput,
  options: { source?: string } = {},
): Promise<User> {
  const data = parseInput(createUserSchema, input);
  const source = options.source ?? 'builtin';
  let row: UserRow;
  try {
    const { rows } = await tx.query<UserRow>(
      `insert into users (user_name, display_name, given_name, family_name, emails, attributes, source, external_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${USER_COLUMNS}`,
      [
        data.userName,
        data.displayName ?? null,
        data.givenName ?? null,
        data.familyName ?? null,
        JSON.stringify(data.emails),
        data.attributes,
        source,
        data.externalId ?? null,
      ],
    );
    row = rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(data.userName);
    throw error;
  }
  await emit(tx, { type: 'user.created', userId: row.id });
  await audit(tx, context, {
    action: 'user.create',
    target: userTarget(row.id),
    details: { userName: row.user_name, source },
  });
  return toUser(row);
}

export interface BulkCreateResult {
  /** Created users, in input order. */
  created: User[];
  /** Inputs that were not created, by index: invalid, or the name is taken. */
  refused: { index: number; error: GatehouseError }[];
}

/**
 * Creates many users of one source at once (a directory sync's first run), with the same events and
 * audit entries as createUser, in a few statements. An input that is invalid or whose name is taken
 * (by anyone, or by an earlier input) is refused, not thrown: the others are created.
 */
export async function createUsers(
  tx: Queryable,
  context: AuditContext,
  inputs: CreateUserInput[],
  options: { source?: string } = {},
): Promise<BulkCreateResult> {
  const source = options.source ?? 'builtin';
  const refused: BulkCreateResult['refused'] = [];
  const valid: { index: number; data: ReturnType<typeof createUserSchema.parse> }[] = [];
  inputs.forEach((input, index) => {
    try {
      valid.push({ index, data: parseInput(createUserSchema, input) });
    } catch (error) {
      if (!(error instanceof GatehouseError)) throw error;
      refused.push({ index, error });
    }
  });
  if (valid.length === 0) return { created: [], refused };
  const column = (f: (d: (typeof valid)[number]['data']) => unknown) => valid.map((v) => f(v.data));
  const { rows } = await tx.query<UserRow>(
    `insert into users (user_name, display_name, given_name, family_name, emails, attributes, source, external_id)
     select n, dn, gn, fn, e::jsonb, a::jsonb, $7, x
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $8::text[])
       with ordinality as t(n, dn, gn, fn, e, a, x, ord)
     order by ord
     on conflict do nothing
     returning ${USER_COLUMNS}`,
    [
      column((d) => d.userName),
      column((d) => d.displayName ?? null),
      column((d) => d.givenName ?? null),
      column((d) => d.familyName ?? null),
      column((d) => JSON.stringify(d.emails)),
      column((d) => JSON.stringify(d.attributes)),
      source,
      column((d) => d.externalId ?? null),
    ],
  );
  const byName = new Map(rows.map((row) => [row.user_name.toLowerCase(), row]));
  const created: User[] = [];
  for (const { index, data } of valid) {
    const row = byName.get(data.userName.toLowerCase());
    if (row && (row.external_id ?? null) === (data.externalId ?? null)) {
      created.push(toUser(row));
      byName.delete(data.userName.toLowerCase());
    } else refused.push({ index, error: nameTaken(data.userName) });
  }
  refused.sort((a, b) => a.index - b.index);
  await emitMany(
    tx,
    created.map((u) => ({ type: 'user.created', userId: u.id })),
  );
  await auditMany(
    tx,
    context,
    created.map((u) => ({
      action: 'user.create',
      target: userTarget(u.id),
      details: { userName: u.userName, source },
    })),
  );
  return { created, refused };
}

/**
 * Changes profile fields. `ifVersion` (from an If-Match ETag) makes it conditional: a stale version
 * is a precondition failure, not a silent overwrite.
 */
export async function updateUser(
  tx: Queryable,
  context: AuditContext,
  id: string,
  input: UpdateUserInput,
  options: { ifVersion?: number } = {},
): Promise<User> {
  const patch = parseInput(updateUserSchema, input);
  const current = await lockUser(tx, id);
  if (options.ifVersion !== undefined && options.ifVersion !== current.version) {
    throw new GatehouseError(
      'precondition_failed',
      'directory.version_mismatch',
      `user ${id} has changed (version ${current.version})`,
    );
  }
  if (current.status === 'deprovisioned') {
    throw new GatehouseError('conflict', 'directory.user_deprovisioned', `user ${id} is deprovisioned`);
  }
  const columns: Record<string, unknown> = {
    user_name: patch.userName,
    display_name: patch.displayName,
    given_name: patch.givenName,
    family_name: patch.familyName,
    emails: patch.emails && JSON.stringify(patch.emails),
    attributes: patch.attributes,
    external_id: patch.externalId,
  };
  const changed = Object.entries(columns).filter(([, v]) => v !== undefined);
  if (changed.length === 0) return current;
  const sets = changed.map(([column], i) => `${column} = $${i + 2}`);
  let row: UserRow;
  try {
    const { rows } = await tx.query<UserRow>(
      `update users set ${sets.join(', ')}, version = version + 1, updated_at = now() where id = $1 returning ${USER_COLUMNS}`,
      [id, ...changed.map(([, v]) => v)],
    );
    row = rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(patch.userName ?? '');
    throw error;
  }
  const fields = changed.map(([column]) => column);
  await emit(tx, { type: 'user.updated', userId: id, data: { fields } });
  await audit(tx, context, { action: 'user.update', target: userTarget(id), details: { fields } });
  return toUser(row);
}

/** Reads the user and locks its row until the transaction ends. */
export async function lockUser(tx: Queryable, id: string): Promise<User> {
  if (!isUuid(id)) throw notFound(id);
  const { rows } = await tx.query<UserRow>(`select ${USER_COLUMNS} from users where id = $1 for update`, [
    id,
  ]);
  if (!rows[0]) throw notFound(id);
  return toUser(rows[0]);
}

export interface StatusChange {
  reason?: string;
}

/**
 * Disables a user: they can no longer sign in, and everything issued to them before now is
 * invalid (validAfter moves to now). Idempotent.
 */
export async function disableUser(
  tx: Queryable,
  context: AuditContext,
  id: string,
  change: StatusChange = {},
): Promise<User> {
  return setStatus(tx, context, id, 'disabled', change);
}

export async function enableUser(
  tx: Queryable,
  context: AuditContext,
  id: string,
  change: StatusChange = {},
): Promise<User> {
  return setStatus(tx, context, id, 'active', change);
}

/** Deprovisions: the user is gone for good, kept as a tombstone for the audit trail. */
export async function deprovisionUser(
  tx: Queryable,
  context: AuditContext,
  id: string,
  change: StatusChange = {},
): Promise<User> {
  return setStatus(tx, context, id, 'deprovisioned', change);
}

/**
 * Brings a deprovisioned user of an external source (a directory connector, SCIM) back as the same
 * identity, because that source says the person is back (same external id). Built-in users and
 * erased tombstones cannot come back: a new user is created instead. The user returns `active` with
 * validAfter moved to now (nothing issued before ever works again), and must reclaim their name:
 * if someone else holds it now, this is a conflict.
 */
export async function reactivateUser(
  tx: Queryable,
  context: AuditContext,
  id: string,
  change: StatusChange = {},
): Promise<User> {
  const current = await lockUser(tx, id);
  if (current.status !== 'deprovisioned') {
    throw new GatehouseError(
      'conflict',
      'directory.user_not_deprovisioned',
      `user ${id} is not deprovisioned`,
    );
  }
  if (current.source === 'builtin' || current.erasedAt) {
    throw new GatehouseError(
      'conflict',
      'directory.not_reactivatable',
      `user ${id} cannot be reactivated (${current.erasedAt ? 'erased' : 'built-in'}); create a new user instead`,
    );
  }
  let row: UserRow;
  try {
    const { rows } = await tx.query<UserRow>(
      `update users set status = 'active', valid_after = now(), version = version + 1, updated_at = now()
       where id = $1 returning ${USER_COLUMNS}`,
      [id],
    );
    row = rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(current.userName);
    throw error;
  }
  const details = {
    from: 'deprovisioned',
    to: 'active',
    ...(change.reason ? { reason: change.reason } : {}),
  };
  await emit(tx, { type: 'user.reactivated', userId: id, data: details });
  await audit(tx, context, { action: 'user.reactivate', target: userTarget(id), details });
  return toUser(row);
}

const EVENT_BY_STATUS = {
  active: 'user.enabled',
  disabled: 'user.disabled',
  deprovisioned: 'user.deprovisioned',
} as const;
const ACTION_BY_STATUS = {
  active: 'user.enable',
  disabled: 'user.disable',
  deprovisioned: 'user.deprovision',
} as const;

async function setStatus(
  tx: Queryable,
  context: AuditContext,
  id: string,
  status: UserStatus,
  change: StatusChange,
): Promise<User> {
  const current = await lockUser(tx, id);
  if (current.status === status) return current;
  if (current.status === 'deprovisioned') {
    throw new GatehouseError(
      'conflict',
      'directory.user_deprovisioned',
      `user ${id} is deprovisioned; create a new user instead`,
    );
  }
  if (current.isRoot && status === 'deprovisioned') {
    throw new GatehouseError(
      'forbidden',
      'directory.root_protected',
      'the root administrator cannot be deprovisioned',
    );
  }
  // Leaving 'active' cuts everything issued so far; coming back does not revive it.
  const revoke = status !== 'active';
  const { rows } = await tx.query<UserRow>(
    `update users set status = $2, version = version + 1, updated_at = now()${revoke ? ', valid_after = now()' : ''}
     where id = $1 returning ${USER_COLUMNS}`,
    [id, status],
  );
  const details = { from: current.status, to: status, ...(change.reason ? { reason: change.reason } : {}) };
  await emit(tx, { type: EVENT_BY_STATUS[status], userId: id, data: details });
  await audit(tx, context, { action: ACTION_BY_STATUS[status], target: userTarget(id), details });
  return toUser(rows[0]!);
}

/**
 * Erases the personal fields of a deprovisioned user on request (right to erasure); the tombstone
 * and its id stay so that the audit trail still resolves.
 */
export async function eraseUser(tx: Queryable, context: AuditContext, id: string): Promise<User> {
  const current = await lockUser(tx, id);
  if (current.status !== 'deprovisioned') {
    throw new GatehouseError(
      'conflict',
      'directory.user_not_deprovisioned',
      'only a deprovisioned user can be erased',
    );
  }
  if (current.erasedAt) return current;
  const { rows } = await tx.query<UserRow>(
    `update users set user_name = 'erased-' || id, display_name = null, given_name = null, family_name = null,
            emails = '[]', attributes = '{}', external_id = null, erased_at = now(), version = version + 1, updated_at = now()
     where id = $1 returning ${USER_COLUMNS}`,
    [id],
  );
  await tx.query('delete from password_credentials where user_id = $1', [id]);
  await tx.query('delete from password_history where user_id = $1', [id]);
  await emit(tx, { type: 'user.erased', userId: id });
  await audit(tx, context, { action: 'user.erase', target: userTarget(id) });
  return toUser(rows[0]!);
}

export interface UserListQuery {
  limit: number;
  after?: { name: string; id: string } | undefined;
  status?: UserStatus | undefined;
  source?: string | undefined;
  /** Case-insensitive prefix of the user name or display name, or an exact email address. */
  search?: string | undefined;
  /** Direct or nested members of this group. */
  groupId?: string | undefined;
}

/** One page ordered by user name; `after` is the keyset cursor (no OFFSET scans). */
export async function listUsers(
  q: Queryable,
  query: UserListQuery,
): Promise<{ users: User[]; next?: { name: string; id: string } }> {
  const where: string[] = [];
  const { values: params, param } = sqlParams();
  if (query.after)
    where.push(`(lower(user_name), id) > (${param(query.after.name)}, ${param(query.after.id)}::uuid)`);
  if (query.status) where.push(`status = ${param(query.status)}`);
  if (query.source) where.push(`source = ${param(query.source)}`);
  if (query.search) {
    // Prefix of the user name or display name (indexed), or an exact email address (indexed).
    const search = query.search.toLowerCase();
    const prefix = param(likePrefix(search));
    where.push(
      `(lower(user_name) like ${prefix} or lower(display_name) like ${prefix} or email_keys @> ${param(JSON.stringify([search]))}::jsonb)`,
    );
  }
  if (query.groupId) {
    where.push(`id in (${TRANSITIVE_USERS_SQL.replace('$GROUP', param(query.groupId))})`);
  }
  const limit = param(query.limit + 1);
  const { rows } = await q.query<UserRow>(
    `select ${USER_COLUMNS} from users ${where.length ? `where ${where.join(' and ')}` : ''}
     order by lower(user_name), id limit ${limit}`,
    params,
  );
  const users = rows.slice(0, query.limit).map(toUser);
  const last = users.at(-1);
  return rows.length > query.limit && last
    ? { users, next: { name: last.userName.toLowerCase(), id: last.id } }
    : { users };
}

/** Users in a group directly or through nested groups ($GROUP is replaced by a parameter). */
export const TRANSITIVE_USERS_SQL = `
  with recursive sub(id) as (
    select $GROUP::uuid
    union
    select gm.member_group_id from group_members gm join sub on gm.group_id = sub.id where gm.member_group_id is not null
  )
  select gm.member_user_id from group_members gm join sub on gm.group_id = sub.id where gm.member_user_id is not null`;
