import { type AuditContext, audit } from '../audit/audit.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { emit } from '../directory/events.ts';
import { parseInput } from '../directory/validate.ts';
import { GatehouseError } from '../errors.ts';
import type { PolicyDocument } from '../policy/index.ts';
import type { Queryable } from '../store/db.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { listAssignments, removeAssignment } from './assignments.ts';
import { findPolicyByName } from './policies.ts';
import { checkPolicy } from './policy-check.ts';
import {
  isoDurationSeconds,
  type PermissionSetInput,
  type PermissionSetUpdate,
  permissionSetCreateSchema,
  permissionSetUpdateSchema,
} from './schemas.ts';

/** A bundle of policies and a session duration, assigned to users and groups in accounts. */
export interface PermissionSet {
  id: string;
  name: string;
  description: string | null;
  /** ISO-8601, PT15M–PT12H. */
  sessionDuration: string;
  inlinePolicy: PolicyDocument | null;
  /** Managed policy names, in order. */
  managedPolicies: string[];
  permissionsBoundary: string | null;
  relayState: string | null;
  tags: Record<string, string>;
  /** Goes up with every change of the set or of a managed policy it uses. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  name: string;
  description: string | null;
  session_duration: string;
  inline_policy: PolicyDocument | null;
  managed: string[] | null;
  boundary: string | null;
  relay_state: string | null;
  tags: Record<string, string>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `select ps.id, ps.name, ps.description, ps.session_duration, ps.inline_policy, ps.relay_state, ps.tags,
    ps.version, ps.created_at, ps.updated_at,
    (select b.name from managed_policies b where b.id = ps.boundary_policy_id) as boundary,
    array(select mp.name from permission_set_policies psp join managed_policies mp on mp.id = psp.policy_id
          where psp.permission_set_id = ps.id order by psp.position) as managed
  from permission_sets ps`;

const toSet = (r: Row): PermissionSet => ({
  id: r.id,
  name: r.name,
  description: r.description,
  sessionDuration: r.session_duration,
  inlinePolicy: r.inline_policy,
  managedPolicies: r.managed ?? [],
  permissionsBoundary: r.boundary,
  relayState: r.relay_state,
  tags: r.tags,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const permissionSetTarget = (id: string) => `permission_set:${id}`;
const notFound = (id: string) =>
  new GatehouseError('not_found', 'access.permission_set_not_found', `no permission set ${id}`);
const nameTaken = (name: string) =>
  new GatehouseError(
    'conflict',
    'access.permission_set_exists',
    `a permission set named "${name}" exists already`,
  );

export const sessionSeconds = (set: Pick<PermissionSet, 'sessionDuration'>): number =>
  isoDurationSeconds(set.sessionDuration) ?? 3600;

/** Managed policy names → ids; an unknown name is refused with its path. */
async function resolvePolicies(tx: Queryable, names: string[], boundary: string | null | undefined) {
  const problems: { path: string; message: string }[] = [];
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (seen.has(name.toLowerCase())) {
      problems.push({ path: `managedPolicies.${i}`, message: `"${name}" is listed twice` });
      continue;
    }
    seen.add(name.toLowerCase());
    const policy = await findPolicyByName(tx, name);
    if (policy) ids.push(policy.id);
    else problems.push({ path: `managedPolicies.${i}`, message: `unknown policy "${name}"` });
  }
  let boundaryId: string | null = null;
  if (boundary) {
    const policy = await findPolicyByName(tx, boundary);
    if (policy) {
      checkPolicy(policy.document, 'boundary', 'permissionsBoundary');
      boundaryId = policy.id;
    } else problems.push({ path: 'permissionsBoundary', message: `unknown policy "${boundary}"` });
  }
  if (problems.length) {
    throw new GatehouseError(
      'invalid',
      'access.invalid',
      problems.map((p) => `${p.path}: ${p.message}`).join('; '),
      {
        problems,
      },
    );
  }
  return { ids, boundaryId };
}

async function setPolicies(tx: Queryable, id: string, policyIds: string[]): Promise<void> {
  await tx.query('delete from permission_set_policies where permission_set_id = $1', [id]);
  for (const [position, policyId] of policyIds.entries()) {
    await tx.query(
      'insert into permission_set_policies (permission_set_id, policy_id, position) values ($1, $2, $3)',
      [id, policyId, position],
    );
  }
}

export async function createPermissionSet(
  tx: Queryable,
  context: AuditContext,
  input: PermissionSetInput,
): Promise<PermissionSet> {
  const data = parseInput(permissionSetCreateSchema, input, 'access.invalid');
  if (data.inlinePolicy) checkPolicy(data.inlinePolicy, 'inline', 'inlinePolicy');
  const { ids, boundaryId } = await resolvePolicies(tx, data.managedPolicies, data.permissionsBoundary);
  let id: string;
  try {
    const { rows } = await tx.query<{ id: string }>(
      `insert into permission_sets (name, description, session_duration, inline_policy, boundary_policy_id, relay_state, tags)
       values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [
        data.name,
        data.description ?? null,
        data.sessionDuration,
        data.inlinePolicy ?? null,
        boundaryId,
        data.relayState ?? null,
        data.tags,
      ],
    );
    id = rows[0]!.id;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(data.name);
    throw error;
  }
  await setPolicies(tx, id, ids);
  await audit(tx, context, {
    action: 'permission_set.create',
    target: permissionSetTarget(id),
    details: { name: data.name },
  });
  return getPermissionSet(tx, id);
}

export async function findPermissionSet(q: Queryable, id: string): Promise<PermissionSet | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await q.query<Row>(`${SELECT} where ps.id = $1`, [id]);
  return rows[0] && toSet(rows[0]);
}

export async function getPermissionSet(q: Queryable, id: string): Promise<PermissionSet> {
  const set = await findPermissionSet(q, id);
  if (!set) throw notFound(id);
  return set;
}

export async function findPermissionSetByName(
  q: Queryable,
  name: string,
): Promise<PermissionSet | undefined> {
  const { rows } = await q.query<Row>(`${SELECT} where lower(ps.name) = lower($1)`, [name]);
  return rows[0] && toSet(rows[0]);
}

export async function listPermissionSets(q: Queryable): Promise<PermissionSet[]> {
  const { rows } = await q.query<Row>(`${SELECT} order by lower(ps.name)`);
  return rows.map(toSet);
}

const FIELDS = [
  'name',
  'description',
  'sessionDuration',
  'inlinePolicy',
  'managedPolicies',
  'permissionsBoundary',
  'relayState',
  'tags',
] as const;

/** Changes a permission set; any change bumps its version (permission_set.updated). */
export async function updatePermissionSet(
  tx: Queryable,
  context: AuditContext,
  id: string,
  input: PermissionSetUpdate,
): Promise<PermissionSet> {
  const patch = parseInput(permissionSetUpdateSchema, input, 'access.invalid');
  if (patch.inlinePolicy) checkPolicy(patch.inlinePolicy, 'inline', 'inlinePolicy');
  if (!UUID.test(id)) throw notFound(id);
  await tx.query('select id from permission_sets where id = $1 for update', [id]);
  const current = await getPermissionSet(tx, id);
  const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);
  const fields = FIELDS.filter((f) => patch[f] !== undefined && !same(patch[f], current[f]));
  if (fields.length === 0) return current;
  const next = { ...current, ...Object.fromEntries(fields.map((f) => [f, patch[f]])) } as PermissionSet;
  const { ids, boundaryId } = await resolvePolicies(tx, next.managedPolicies, next.permissionsBoundary);
  try {
    await tx.query(
      `update permission_sets set name = $2, description = $3, session_duration = $4, inline_policy = $5,
         boundary_policy_id = $6, relay_state = $7, tags = $8, version = version + 1, updated_at = now()
       where id = $1`,
      [
        id,
        next.name,
        next.description ?? null,
        next.sessionDuration,
        next.inlinePolicy ?? null,
        boundaryId,
        next.relayState ?? null,
        next.tags,
      ],
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(next.name);
    throw error;
  }
  if (fields.includes('managedPolicies')) await setPolicies(tx, id, ids);
  await emit(tx, {
    type: 'permission_set.updated',
    data: { permissionSetId: id, version: current.version + 1, fields },
  });
  await audit(tx, context, {
    action: 'permission_set.update',
    target: permissionSetTarget(id),
    details: { fields },
  });
  return getPermissionSet(tx, id);
}

/** Deletes a permission set with its assignments (permission_set.deleted; credentials under it stop). */
export async function deletePermissionSet(tx: Queryable, context: AuditContext, id: string): Promise<void> {
  if (!UUID.test(id)) throw notFound(id);
  await tx.query('select id from permission_sets where id = $1 for update', [id]);
  const set = await getPermissionSet(tx, id);
  for (const a of await listAssignments(tx, { permissionSetId: id }))
    await removeAssignment(tx, context, a.id);
  await tx.query('delete from permission_sets where id = $1', [id]);
  await emit(tx, { type: 'permission_set.deleted', data: { permissionSetId: id, version: set.version } });
  await audit(tx, context, {
    action: 'permission_set.delete',
    target: permissionSetTarget(id),
    details: { name: set.name },
  });
}
