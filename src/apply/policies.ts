import { createPolicy, deletePolicy, listPolicies, updatePolicy } from '../access/policies.ts';
import { policyCreateSchema } from '../access/schemas.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { validatePolicyDocument } from '../policy/index.ts';
import { parsed, parseEach } from './problems.ts';
import type { Change, Problem, Section } from './section.ts';

export type PolicyEntry = ReturnType<typeof policyCreateSchema.parse>;

/** Policy engine errors as problems: `policies[0].document.Statement[1].Effect`. */
export function policyProblems(
  document: unknown,
  kind: 'managed' | 'inline',
  path: (string | number)[],
): Problem[] {
  const result = validatePolicyDocument(document, kind);
  if (result.ok) return [];
  return result.errors.map((e) => ({
    path: e.path === '$' ? path : [...path, ...segments(e.path)],
    message: e.message,
  }));
}

/** `Statement[1].Effect` → ['Statement', 1, 'Effect'] */
function segments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

export const policiesSection: Section<PolicyEntry> = {
  key: 'policies',

  parse(value) {
    const { items, problems } = parseEach(policyCreateSchema, value);
    const names = new Map<string, number>();
    items.forEach((entry, i) => {
      if (!entry) return;
      const first = names.get(entry.name.toLowerCase());
      if (first !== undefined)
        problems.push({ path: [i, 'name'], message: `declared twice (also policies[${first}])` });
      else names.set(entry.name.toLowerCase(), i);
      problems.push(...policyProblems(entry.document, 'managed', [i, 'document']));
    });
    return parsed(items as PolicyEntry[], problems);
  },

  async plan(tx, entries, context) {
    const policies = await listPolicies(tx);
    const changes: Change[] = [];
    const problems: Problem[] = [];
    const declared = new Set(entries.map((e) => e.name.toLowerCase()));
    for (const entry of entries) {
      const policy = policies.find((p) => p.name.toLowerCase() === entry.name.toLowerCase());
      if (!policy) {
        changes.push({
          op: '+',
          subject: `policy ${entry.name}`,
          run: async (t, ctx) => {
            await createPolicy(t, ctx, entry);
          },
        });
        continue;
      }
      const fields = [
        ...(entry.name !== policy.name ? ['name'] : []),
        ...(entry.description !== undefined && (entry.description ?? null) !== policy.description
          ? ['description']
          : []),
        ...(canonicalJson(entry.document) !== canonicalJson(policy.document) ? ['document'] : []),
      ];
      if (fields.length) {
        changes.push({
          op: '~',
          subject: `policy ${policy.name}`,
          detail: fields.join(', '),
          run: async (t, ctx) => {
            await updatePolicy(t, ctx, policy.id, entry);
          },
        });
      }
    }
    if (context.prune) {
      const { rows } = await tx.query<{ policy_id: string; name: string }>(
        `select psp.policy_id, ps.name from permission_set_policies psp join permission_sets ps on ps.id = psp.permission_set_id
         union select boundary_policy_id, name from permission_sets where boundary_policy_id is not null`,
      );
      for (const policy of policies) {
        if (declared.has(policy.name.toLowerCase())) continue;
        const users = rows.filter((r) => r.policy_id === policy.id).map((r) => r.name);
        if (users.length) {
          problems.push({
            path: [],
            message: `policy "${policy.name}" is not declared, but --prune cannot delete it: permission set(s) ${users.join(', ')} use it (remove them from it first)`,
          });
          continue;
        }
        changes.push({
          op: '-',
          subject: `policy ${policy.name}`,
          detail: 'delete',
          run: (t, ctx) => deletePolicy(t, ctx, policy.id),
        });
      }
    }
    return { changes, problems };
  },
};
