import { type AuditContext, audit } from '../audit/audit.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { emit } from '../directory/events.ts';
import { parseInput } from '../directory/validate.ts';
import { GatehouseError } from '../errors.ts';
import type { PolicyDocument } from '../policy/index.ts';
import type { Queryable } from '../store/db.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { checkPolicy } from './policy-check.ts';
import { type PolicyInput, type PolicyUpdate, policyCreateSchema, policyUpdateSchema } from './schemas.ts';

/** A named, versioned IAM policy document kept in Gatehouse (a "customer managed policy"). */
export interface ManagedPolicy {
  id: string;
  name: string;
  description: string | null;
  document: PolicyDocument;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

interface PolicyRow {
  id: string;
  name: string;
  description: string | null;
  document: PolicyDocument;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, description, document, version, created_at, updated_at';
const toPolicy = (r: PolicyRow): ManagedPolicy => ({
  id: r.id,
  name: r.name,
  description: r.description,
  document: r.document,
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const policyTarget = (id: string) => `policy:${id}`;
const notFound = (id: string) =>
  new GatehouseError('not_found', 'access.policy_not_found', `no policy ${id}`);
const nameTaken = (name: string) =>
  new GatehouseError('conflict', 'access.policy_exists', `a policy named "${name}" exists already`);

export async function createPolicy(
  tx: Queryable,
  context: AuditContext,
  input: PolicyInput,
): Promise<ManagedPolicy> {
  const data = parseInput(policyCreateSchema, input, 'access.invalid');
  checkPolicy(data.document, 'managed', 'document');
  let row: PolicyRow;
  try {
    row = (
      await tx.query<PolicyRow>(
        `insert into managed_policies (name, description, document) values ($1, $2, $3) returning ${COLUMNS}`,
        [data.name, data.description ?? null, data.document],
      )
    ).rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(data.name);
    throw error;
  }
  await audit(tx, context, {
    action: 'policy.create',
    target: policyTarget(row!.id),
    details: { name: data.name },
  });
  return toPolicy(row!);
}

export async function findPolicy(q: Queryable, id: string): Promise<ManagedPolicy | undefined> {
  if (!UUID.test(id)) return undefined;
  const { rows } = await q.query<PolicyRow>(`select ${COLUMNS} from managed_policies where id = $1`, [id]);
  return rows[0] && toPolicy(rows[0]);
}

export async function getPolicy(q: Queryable, id: string): Promise<ManagedPolicy> {
  const policy = await findPolicy(q, id);
  if (!policy) throw notFound(id);
  return policy;
}

export async function findPolicyByName(q: Queryable, name: string): Promise<ManagedPolicy | undefined> {
  const { rows } = await q.query<PolicyRow>(
    `select ${COLUMNS} from managed_policies where lower(name) = lower($1)`,
    [name],
  );
  return rows[0] && toPolicy(rows[0]);
}

export async function listPolicies(q: Queryable): Promise<ManagedPolicy[]> {
  const { rows } = await q.query<PolicyRow>(`select ${COLUMNS} from managed_policies order by lower(name)`);
  return rows.map(toPolicy);
}

/**
 * Changes a policy. A new document bumps the version of the policy and of every permission set
 * that uses it (credentials issued under the old text are out of date: permission_set.updated).
 */
export async function updatePolicy(
  tx: Queryable,
  context: AuditContext,
  id: string,
  input: PolicyUpdate,
): Promise<ManagedPolicy> {
  const patch = parseInput(policyUpdateSchema, input, 'access.invalid');
  if (patch.document !== undefined) checkPolicy(patch.document, 'managed', 'document');
  if (!UUID.test(id)) throw notFound(id);
  const { rows: locked } = await tx.query<PolicyRow>(
    `select ${COLUMNS} from managed_policies where id = $1 for update`,
    [id],
  );
  if (!locked[0]) throw notFound(id);
  const current = toPolicy(locked[0]);
  const documentChanged =
    patch.document !== undefined && canonicalJson(patch.document) !== canonicalJson(current.document);
  const fields = [
    ...(patch.name !== undefined && patch.name !== current.name ? ['name'] : []),
    ...(patch.description !== undefined && (patch.description ?? null) !== current.description
      ? ['description']
      : []),
    ...(documentChanged ? ['document'] : []),
  ];
  if (fields.length === 0) return current;
  let row: PolicyRow;
  try {
    row = (
      await tx.query<PolicyRow>(
        `update managed_policies set name = $2, description = $3, document = $4,
         version = version + $5, updated_at = now() where id = $1 returning ${COLUMNS}`,
        [
          id,
          patch.name ?? current.name,
          patch.description === undefined ? current.description : patch.description,
          patch.document ?? current.document,
          documentChanged ? 1 : 0,
        ],
      )
    ).rows[0]!;
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(patch.name ?? '');
    throw error;
  }
  if (documentChanged) {
    await emit(tx, { type: 'policy.updated', data: { policyId: id, version: row!.version } });
    const { rows: sets } = await tx.query<{ id: string; version: number }>(
      `update permission_sets set version = version + 1, updated_at = now()
       where id in (select permission_set_id from permission_set_policies where policy_id = $1)
          or boundary_policy_id = $1
       returning id, version`,
      [id],
    );
    for (const set of sets) {
      await emit(tx, {
        type: 'permission_set.updated',
        data: { permissionSetId: set.id, version: set.version, cause: policyTarget(id) },
      });
    }
  }
  await audit(tx, context, { action: 'policy.update', target: policyTarget(id), details: { fields } });
  return toPolicy(row!);
}

/** Deletes a policy that no permission set uses. */
export async function deletePolicy(tx: Queryable, context: AuditContext, id: string): Promise<void> {
  const policy = await getPolicy(tx, id);
  const { rows } = await tx.query<{ name: string }>(
    `select name from permission_sets
     where id in (select permission_set_id from permission_set_policies where policy_id = $1) or boundary_policy_id = $1
     order by name`,
    [id],
  );
  if (rows.length) {
    throw new GatehouseError(
      'conflict',
      'access.policy_in_use',
      `policy "${policy.name}" is used by permission set(s) ${rows.map((r) => r.name).join(', ')}`,
    );
  }
  await tx.query('delete from managed_policies where id = $1', [id]);
  await audit(tx, context, {
    action: 'policy.delete',
    target: policyTarget(id),
    details: { name: policy.name },
  });
}
