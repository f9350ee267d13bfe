import { z } from 'zod';
import { listAccounts } from '../access/accounts.ts';
import { createAssignment, listAssignments, removeAssignment } from '../access/assignments.ts';
import { findPermissionSetByName, listPermissionSets } from '../access/permission-sets.ts';
import { accessNameSchema, accountIdSchema } from '../access/schemas.ts';
import { findGroupByName } from '../directory/groups.ts';
import { findUserByName } from '../directory/users.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { accountsSection, matchAccount } from './accounts.ts';
import { groupsSection } from './groups.ts';
import { permissionSetsSection } from './permission-sets.ts';
import { formatPrincipal, groupSource, type Principal, principalKey, principalSchema } from './principals.ts';
import { parsed, parseEach } from './problems.ts';
import type { Change, Problem, Section } from './section.ts';
import { usersSection } from './users.ts';

/** `{ principal: group:corp-ad/Engineering, account: "111122223333" (id or name), permissionSet: Developer }` */
const assignmentSchema = z.strictObject({
  principal: principalSchema,
  account: z.union([accountIdSchema, z.string().min(1).max(256)]),
  permissionSet: accessNameSchema,
});
export type AssignmentEntry = z.output<typeof assignmentSchema>;

const describe = (e: AssignmentEntry) =>
  `assignment ${formatPrincipal(e.principal)} → ${e.account} / ${e.permissionSet}`;
const entryKey = (e: AssignmentEntry) =>
  `${principalKey(e.principal)}\u0000${e.account.toLowerCase()}\u0000${e.permissionSet.toLowerCase()}`;

export const assignmentsSection: Section<AssignmentEntry> = {
  key: 'assignments',

  parse(value) {
    const { items, problems } = parseEach(assignmentSchema, value);
    const seen = new Map<string, number>();
    items.forEach((entry, i) => {
      if (!entry) return;
      const key = entryKey(entry);
      const first = seen.get(key);
      if (first !== undefined)
        problems.push({ path: [i], message: `declared twice (also assignments[${first}])` });
      else seen.set(key, i);
    });
    return parsed(items as AssignmentEntry[], problems);
  },

  async plan(tx, entries, context) {
    const directory = await context.directory();
    const accounts = await listAccounts(tx);
    const declaredAccounts = context.declared(accountsSection) ?? [];
    const sets = await listPermissionSets(tx);
    const declaredSets = new Set(
      (context.declared(permissionSetsSection) ?? []).map((s) => s.name.toLowerCase()),
    );
    const declaredUsers = new Set(
      (context.declared(usersSection) ?? []).map((u) => u.userName.toLowerCase()),
    );
    const declaredGroups = new Set((context.declared(groupsSection) ?? []).map((g) => g.name.toLowerCase()));
    const problems: Problem[] = [];
    const existing = await listAssignments(tx);
    const wanted = new Set<string>();
    const changes: Change[] = [];

    entries.forEach((entry, i) => {
      const p = entry.principal;
      const account =
        matchAccount(accounts, { id: entry.account }) ?? matchAccount(accounts, { name: entry.account });
      const accountDeclared = declaredAccounts.some(
        (a) => a.id === entry.account || a.name.toLowerCase() === entry.account.toLowerCase(),
      );
      if (!account && !accountDeclared)
        problems.push({ path: [i, 'account'], message: `unknown account "${entry.account}"` });
      const set = sets.find((s) => s.name.toLowerCase() === entry.permissionSet.toLowerCase());
      if (!set && !declaredSets.has(entry.permissionSet.toLowerCase()))
        problems.push({
          path: [i, 'permissionSet'],
          message: `unknown permission set "${entry.permissionSet}"`,
        });
      const user = p.kind === 'user' ? directory.userByName(p.name) : undefined;
      const group = p.kind !== 'user' ? directory.groupByName(p.name, groupSource(p)) : undefined;
      if (p.kind === 'user' && !user && !declaredUsers.has(p.name.toLowerCase()))
        problems.push({ path: [i, 'principal'], message: `unknown user "${p.name}"` });
      if (user?.isRoot)
        problems.push({
          path: [i, 'principal'],
          message: 'the root administrator can never hold credentials',
        });
      if (p.kind === 'group' && !group && !declaredGroups.has(p.name.toLowerCase()))
        problems.push({ path: [i, 'principal'], message: `unknown group "${p.name}"` });
      if (p.kind === 'directoryGroup' && !group)
        problems.push({
          path: [i, 'principal'],
          message: `unknown directory group "${p.connector}/${p.name}"`,
        });

      const current =
        account && set && (user || group)
          ? existing.find(
              (a) =>
                a.accountId === account.id &&
                a.permissionSetId === set.id &&
                (user ? a.userId === user.id : a.groupId === group!.id),
            )
          : undefined;
      if (current) {
        wanted.add(current.id);
        return;
      }
      changes.push({
        op: '+',
        subject: describe(entry),
        run: async (t, ctx) => {
          await createAssignment(t, ctx, await resolve(t, entry));
        },
      });
    });
    if (problems.length) return { changes: [], problems };
    if (context.prune) {
      for (const a of existing) {
        if (wanted.has(a.id)) continue;
        const who = a.userId
          ? `user:${directory.userById(a.userId)?.userName ?? a.userId}`
          : (() => {
              const g = directory.groupById(a.groupId!);
              return g
                ? g.source === 'builtin'
                  ? `group:${g.name}`
                  : `group:${g.source.replace(/^ldap:/, '')}/${g.name}`
                : `group:${a.groupId}`;
            })();
        const setName = sets.find((s) => s.id === a.permissionSetId)?.name ?? a.permissionSetId;
        changes.unshift({
          op: '-',
          subject: `assignment ${who} → ${a.accountId} / ${setName}`,
          detail: 'remove',
          run: (t, ctx) => removeAssignment(t, ctx, a.id),
        });
      }
    }
    return { changes, problems: [] };
  },
};

/** Ids at the time the change runs (objects created earlier in the same apply included). */
async function resolve(tx: Queryable, entry: AssignmentEntry) {
  const accounts = await listAccounts(tx);
  const account =
    matchAccount(accounts, { id: entry.account }) ?? matchAccount(accounts, { name: entry.account });
  const set = await findPermissionSetByName(tx, entry.permissionSet);
  if (!account || !set)
    throw new GatehouseError('not_found', 'access.assignment_reference', `cannot resolve ${describe(entry)}`);
  const p: Principal = entry.principal;
  if (p.kind === 'user') {
    const user = await findUserByName(tx, p.name);
    if (!user) throw new GatehouseError('not_found', 'directory.user_not_found', `no user "${p.name}"`);
    return { accountId: account.id, permissionSetId: set.id, userId: user.id };
  }
  const group = await findGroupByName(tx, p.name, groupSource(p));
  if (!group) throw new GatehouseError('not_found', 'directory.group_not_found', `no group "${p.name}"`);
  return { accountId: account.id, permissionSetId: set.id, groupId: group.id };
}
