import {
  createPermissionSet,
  deletePermissionSet,
  listPermissionSets,
  type PermissionSet,
  updatePermissionSet,
} from '../access/permission-sets.ts';
import { listPolicies } from '../access/policies.ts';
import { permissionSetCreateSchema } from '../access/schemas.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { policiesSection, policyProblems } from './policies.ts';
import { parsed, parseEach } from './problems.ts';
import type { Change, Problem, Section } from './section.ts';

/** A permission set by name; fields left out stay as they are (a new set gets the defaults). */
const entrySchema = permissionSetCreateSchema.extend({
  sessionDuration: permissionSetCreateSchema.shape.sessionDuration.unwrap().optional(),
  managedPolicies: permissionSetCreateSchema.shape.managedPolicies.unwrap().optional(),
  tags: permissionSetCreateSchema.shape.tags.unwrap().optional(),
});
export type PermissionSetEntry = ReturnType<typeof entrySchema.parse>;

const FIELDS = [
  'description',
  'sessionDuration',
  'inlinePolicy',
  'managedPolicies',
  'permissionsBoundary',
  'relayState',
  'tags',
] as const;

export const permissionSetsSection: Section<PermissionSetEntry> = {
  key: 'permissionSets',

  parse(value) {
    const { items, problems } = parseEach(entrySchema, value);
    const names = new Map<string, number>();
    items.forEach((entry, i) => {
      if (!entry) return;
      const first = names.get(entry.name.toLowerCase());
      if (first !== undefined)
        problems.push({ path: [i, 'name'], message: `declared twice (also permissionSets[${first}])` });
      else names.set(entry.name.toLowerCase(), i);
      if (entry.inlinePolicy)
        problems.push(...policyProblems(entry.inlinePolicy, 'inline', [i, 'inlinePolicy']));
    });
    return parsed(items as PermissionSetEntry[], problems);
  },

  async plan(tx, entries, context) {
    const sets = await listPermissionSets(tx);
    const known = new Set([
      ...(await listPolicies(tx)).map((p) => p.name.toLowerCase()),
      ...(context.declared(policiesSection) ?? []).map((p) => p.name.toLowerCase()),
    ]);
    const problems: Problem[] = [];
    entries.forEach((entry, i) => {
      entry.managedPolicies?.forEach((name, j) => {
        if (!known.has(name.toLowerCase()))
          problems.push({ path: [i, 'managedPolicies', j], message: `unknown policy "${name}"` });
      });
      if (entry.permissionsBoundary && !known.has(entry.permissionsBoundary.toLowerCase()))
        problems.push({
          path: [i, 'permissionsBoundary'],
          message: `unknown policy "${entry.permissionsBoundary}"`,
        });
    });
    if (problems.length) return { changes: [], problems };

    const changes: Change[] = [];
    const byName = (name: string): PermissionSet | undefined =>
      sets.find((s) => s.name.toLowerCase() === name.toLowerCase());
    for (const entry of entries) {
      const set = byName(entry.name);
      if (!set) {
        changes.push({
          op: '+',
          subject: `permission set ${entry.name}`,
          run: async (t, ctx) => {
            await createPermissionSet(t, ctx, entry);
          },
        });
        continue;
      }
      const fields: string[] = entry.name !== set.name ? ['name'] : [];
      for (const f of FIELDS) {
        if (entry[f] !== undefined && canonicalJson(entry[f] ?? null) !== canonicalJson(set[f] ?? null))
          fields.push(f);
      }
      if (fields.length) {
        const { name, ...rest } = entry;
        changes.push({
          op: '~',
          subject: `permission set ${set.name}`,
          detail: fields.join(', '),
          run: async (t, ctx) => {
            await updatePermissionSet(t, ctx, set.id, { name, ...rest });
          },
        });
      }
    }
    if (context.prune) {
      const declared = new Set(entries.map((e) => e.name.toLowerCase()));
      for (const set of sets) {
        if (declared.has(set.name.toLowerCase())) continue;
        changes.push({
          op: '-',
          subject: `permission set ${set.name}`,
          detail: 'delete',
          run: (t, ctx) => deletePermissionSet(t, ctx, set.id),
        });
      }
    }
    return { changes, problems: [] };
  },
};
