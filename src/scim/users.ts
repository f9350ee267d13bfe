import type { AuditContext } from '../audit/audit.ts';
import type { UpdateUserInput } from '../directory/schemas.ts';
import {
  createUser,
  deprovisionUser,
  disableUser,
  type Email,
  enableUser,
  findUserByExternalId,
  lockUser,
  reactivateUser,
  toUser,
  USER_COLUMNS,
  type User,
  updateUser,
} from '../directory/users.ts';
import { parseInput } from '../directory/validate.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { USER_ATTRS } from './attributes.ts';
import { type ListQuery, listIds } from './list.ts';
import {
  type Profile,
  type ProfileRow,
  profileSchema,
  readProfiles,
  sameJson,
  writeProfile,
} from './profiles.ts';
import { ENTERPRISE_ATTRIBUTES, type EnterpriseAttribute } from './schemas.ts';

/**
 * SCIM users are directory users with source `scim`: the directory's own functions create, change,
 * disable and deprovision them (with their events and audit entries); this module only decides
 * which of them a SCIM request amounts to. Users of other sources are invisible here.
 */
export interface ScimUserInput {
  userName: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: Email[];
  active: boolean;
  enterprise: Partial<Record<EnterpriseAttribute, string>>;
  profile: Profile;
}

export interface ScimUser {
  user: User;
  profile: Profile;
  /** users.version + profile revision: moves with every change of either. */
  version: number;
}

const SOURCE = 'scim';

function notFound(id: string): GatehouseError {
  return new GatehouseError('not_found', 'directory.user_not_found', `no SCIM user ${id}`);
}

function stale(id: string, version: number): GatehouseError {
  return new GatehouseError(
    'precondition_failed',
    'directory.version_mismatch',
    `user ${id} has changed (version ${version})`,
  );
}

const visible = (user: User | undefined): user is User =>
  !!user && user.source === SOURCE && user.status !== 'deprovisioned';

const scimUser = (user: User, profile: ProfileRow | undefined): ScimUser => ({
  user,
  profile: profile?.data ?? {},
  version: user.version + (profile?.revision ?? 0),
});

/** Locks a SCIM user's row; users of other sources and tombstones are not found. */
async function lockScimUser(tx: Queryable, id: string): Promise<User> {
  const user = await lockUser(tx, id).catch((error: unknown) => {
    if (error instanceof GatehouseError && error.kind === 'not_found') return undefined;
    throw error;
  });
  if (!visible(user)) throw notFound(id);
  return user;
}

/** One SCIM user; with `lock`, its row stays locked until the transaction ends (read, patch, write). */
export async function getScimUser(
  q: Queryable,
  id: string,
  options: { lock?: boolean } = {},
): Promise<ScimUser> {
  const [found] = await loadUsers(q, [id], options.lock);
  if (!found) throw notFound(id);
  return found;
}

/** The SCIM groups each user is directly in (the read-only `groups` attribute). */
export async function scimUserGroups(
  q: Queryable,
  userIds: string[],
): Promise<Map<string, { value: string; display: string }[]>> {
  const result = new Map<string, { value: string; display: string }[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return result;
  const { rows } = await q.query<{ user_id: string; value: string; display: string }>(
    `select gm.member_user_id as user_id, g.id::text as value, g.name as display
     from group_members gm join groups g on g.id = gm.group_id
     where gm.member_user_id = any($1::uuid[]) and g.source = 'scim' order by g.name, g.id`,
    [userIds],
  );
  for (const row of rows) result.get(row.user_id)?.push({ value: row.value, display: row.display });
  return result;
}

async function loadUsers(q: Queryable, ids: string[], lock = false): Promise<ScimUser[]> {
  const valid = ids.filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (valid.length === 0) return [];
  const { rows } = await q.query<Parameters<typeof toUser>[0]>(
    `select ${USER_COLUMNS} from users where id = any($1::uuid[]) and source = $2 and status <> 'deprovisioned'${
      lock ? ' for update' : ''
    }`,
    [valid, SOURCE],
  );
  const profiles = await readProfiles(
    q,
    rows.map((r) => r.id),
  );
  const byId = new Map(rows.map((r) => [r.id, scimUser(toUser(r), profiles.get(r.id))]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export async function listScimUsers(
  q: Queryable,
  query: ListQuery,
): Promise<{ total: number; users: ScimUser[] }> {
  const { total, ids } = await listIds(
    q,
    USER_ATTRS,
    {
      from: 'users u left join scim_user_profiles p on p.user_id = u.id',
      scope: `u.source = 'scim' and u.status <> 'deprovisioned'`,
      id: 'u.id',
    },
    query,
  );
  return { total, users: await loadUsers(q, ids) };
}

/**
 * Creates a SCIM user. A sender that creates again a user it deleted (same externalId) gets the
 * same identity back, reactivated (its audit trail continues), unless it was erased meanwhile.
 */
export async function createScimUser(
  tx: Queryable,
  context: AuditContext,
  input: ScimUserInput,
): Promise<ScimUser> {
  const profile = parseInput(profileSchema, input.profile);
  if (input.externalId) {
    const earlier = await findUserByExternalId(tx, SOURCE, input.externalId);
    if (earlier && earlier.status !== 'deprovisioned') {
      throw new GatehouseError(
        'conflict',
        'directory.user_exists',
        `a SCIM user with externalId "${input.externalId}" exists already`,
      );
    }
    if (earlier) {
      await reactivateUser(tx, context, earlier.id, { reason: 'created again over SCIM (same externalId)' });
      return replaceScimUser(tx, context, earlier.id, input);
    }
  }
  let user = await createUser(
    tx,
    context,
    {
      userName: input.userName,
      displayName: input.displayName,
      givenName: input.givenName,
      familyName: input.familyName,
      emails: input.emails,
      attributes: input.enterprise,
      externalId: input.externalId,
    },
    { source: SOURCE },
  );
  const stored = await writeProfile(tx, user.id, undefined, profile);
  if (!input.active) user = await disableUser(tx, context, user.id, { reason: 'SCIM: active false' });
  return scimUser(user, stored);
}

/**
 * Makes a SCIM user match `input` (PUT, and PATCH once its operations are applied): only what
 * differs is written, so an unchanged replace changes nothing, not even the version. `active`
 * false disables (everything issued so far stops working), true enables.
 */
export async function replaceScimUser(
  tx: Queryable,
  context: AuditContext,
  id: string,
  input: ScimUserInput,
  options: { ifVersion?: number | undefined } = {},
): Promise<ScimUser> {
  const current = await lockScimUser(tx, id);
  const profiles = await readProfiles(tx, [id]);
  const before = scimUser(current, profiles.get(id));
  if (options.ifVersion !== undefined && options.ifVersion !== before.version)
    throw stale(id, before.version);
  const profile = parseInput(profileSchema, input.profile);

  // Enterprise attributes are SCIM's; other attributes (set by an administrator) are kept.
  const attributes: Record<string, string> = Object.fromEntries(
    Object.entries(current.attributes).filter(
      ([k]) => !(ENTERPRISE_ATTRIBUTES as readonly string[]).includes(k),
    ),
  );
  for (const [k, v] of Object.entries(input.enterprise)) if (v !== undefined && v !== '') attributes[k] = v;
  const patch: UpdateUserInput = {};
  if (input.userName !== current.userName) patch.userName = input.userName;
  if (input.displayName !== current.displayName) patch.displayName = input.displayName;
  if (input.givenName !== current.givenName) patch.givenName = input.givenName;
  if (input.familyName !== current.familyName) patch.familyName = input.familyName;
  if (input.externalId !== current.externalId) patch.externalId = input.externalId;
  if (!sameJson(input.emails, current.emails)) patch.emails = input.emails;
  if (!sameJson(attributes, current.attributes)) patch.attributes = attributes;

  let user = Object.keys(patch).length ? await updateUser(tx, context, id, patch) : current;
  const stored = await writeProfile(tx, id, profiles.get(id), profile);
  const active = user.status === 'active';
  if (input.active !== active) {
    user = input.active
      ? await enableUser(tx, context, id, { reason: 'SCIM: active true' })
      : await disableUser(tx, context, id, { reason: 'SCIM: active false' });
  }
  return scimUser(user, stored);
}

/** DELETE: the user is deprovisioned (a tombstone; everything of theirs stops working). */
export async function deleteScimUser(
  tx: Queryable,
  context: AuditContext,
  id: string,
  options: { ifVersion?: number | undefined } = {},
): Promise<void> {
  const current = await lockScimUser(tx, id);
  if (options.ifVersion !== undefined) {
    const before = scimUser(current, (await readProfiles(tx, [id])).get(id));
    if (options.ifVersion !== before.version) throw stale(id, before.version);
  }
  await deprovisionUser(tx, context, id, { reason: 'SCIM: DELETE' });
}
