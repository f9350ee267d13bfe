import { z } from 'zod';
import { createGroup, deleteGroup, findGroupByName, updateGroup } from '../directory/groups.ts';
import { addMember, type Member, removeMember } from '../directory/members.ts';
import { createGroupSchema } from '../directory/schemas.ts';
import { findUserByName } from '../directory/users.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { formatPrincipal, groupSource, type Principal, principalKey, principalSchema } from './principals.ts';
import { parsed, parseEach } from './problems.ts';
import type { Change, PlanContext, Problem, Section } from './section.ts';
import type { DirectorySnapshot } from './snapshot.ts';
import { usersSection } from './users.ts';

/**
 * A built-in group. When `members` is given it is the whole list: members of the group that it
 * does not name are removed. Without `members` the group's members are left as they are.
 */
const groupSchema = createGroupSchema.omit({ externalId: true }).extend({
  members: z.array(principalSchema).optional(),
});

export type GroupEntry = z.output<typeof groupSchema>;

export const groupsSection: Section<GroupEntry> = {
  key: 'groups',

  parse(value) {
    const { items, problems } = parseEach(groupSchema, value);
    const seen = new Map<string, number>();
    items.forEach((group, i) => {
      if (!group) return;
      const first = seen.get(group.name.toLowerCase());
      if (first !== undefined) {
        problems.push({
          path: [i, 'name'],
          message: `"${group.name}" is declared twice (also groups[${first}])`,
        });
      } else seen.set(group.name.toLowerCase(), i);
      const members = new Map<string, number>();
      group.members?.forEach((member, j) => {
        const key = principalKey(member);
        const earlier = members.get(key);
        if (earlier !== undefined) {
          problems.push({
            path: [i, 'members', j],
            message: `${formatPrincipal(member)} is listed twice (also members[${earlier}])`,
          });
        } else members.set(key, j);
      });
    });
    return parsed(items as GroupEntry[], problems);
  },

  async plan(_tx, entries, context) {
    const directory = await context.directory();
    const refs = references(entries, directory, context);
    const problems: Problem[] = [];
    entries.forEach((entry, i) => {
      entry.members?.forEach((member, j) => {
        const message = refs.check(member);
        if (message) problems.push({ path: [i, 'members', j], message });
      });
    });
    problems.push(...cycles(entries, directory, refs.pruned));
    if (problems.length) return { changes: [], problems };

    const changes: Change[] = [];
    for (const group of directory.groups) {
      if (!refs.pruned(group.name)) continue;
      changes.push({
        op: '-',
        subject: `group ${group.name}`,
        detail: 'delete',
        run: (tx, ctx) => deleteGroup(tx, ctx, group.id),
      });
    }
    const removals: Change[] = [];
    const additions: Change[] = [];
    for (const entry of entries) {
      const group = directory.groupByName(entry.name);
      const subject = `group ${entry.name}`;
      if (!group) {
        changes.push({
          op: '+',
          subject,
          run: async (tx, ctx) => {
            await createGroup(tx, ctx, { name: entry.name, description: entry.description });
          },
        });
      } else {
        const fields = [
          ...(entry.name !== group.name ? ['name'] : []),
          ...(entry.description !== undefined && (entry.description ?? null) !== group.description
            ? ['description']
            : []),
        ];
        if (fields.length) {
          changes.push({
            op: '~',
            subject: `group ${group.name}`,
            detail: fields.join(', '),
            run: async (tx, ctx) => {
              await updateGroup(tx, ctx, group.id, { name: entry.name, description: entry.description });
            },
          });
        }
      }
      if (!entry.members) continue;
      const parent = `member group:${entry.name} ← `;
      const groupId = (tx: Queryable) => (group ? Promise.resolve(group.id) : resolveGroup(tx, entry.name));
      const current = group ? currentMembers(directory, group.id) : new Map<string, Current>();
      const wanted = new Set<string>();
      for (const member of entry.members) {
        const key = refs.identity(member);
        wanted.add(key);
        if (current.has(key)) continue;
        additions.push({
          op: '+',
          subject: parent + refs.display(member),
          run: async (tx, ctx) => {
            await addMember(tx, ctx, await groupId(tx), await resolveMember(tx, member, directory));
          },
        });
      }
      for (const [key, { member, display }] of current) {
        if (wanted.has(key)) continue;
        // A pruned group leaves its parents with itself: deleting it removes the membership.
        const inner = 'groupId' in member ? directory.groupById(member.groupId) : undefined;
        if (inner?.source === 'builtin' && refs.pruned(inner.name)) continue;
        removals.push({
          op: '-',
          subject: parent + display,
          run: async (tx, ctx) => {
            await removeMember(tx, ctx, await groupId(tx), member);
          },
        });
      }
    }
    // Removals before additions: a file that turns a nesting around never passes through a cycle.
    return { changes: [...changes, ...removals, ...additions], problems: [] };
  },
};

interface Current {
  member: Member;
  display: string;
}

/** Members of an existing built-in group, keyed like references().identity. */
function currentMembers(directory: DirectorySnapshot, groupId: string): Map<string, Current> {
  const current = new Map<string, Current>();
  const { userIds, groupIds } = directory.membersOf(groupId);
  for (const userId of userIds) {
    const user = directory.userById(userId)!;
    current.set(`id:${userId}`, { member: { userId }, display: `user:${user.userName}` });
  }
  for (const memberId of groupIds) {
    const group = directory.groupById(memberId)!;
    const display =
      group.source === 'builtin'
        ? `group:${group.name}`
        : `group:${group.source.replace(/^ldap:/, '')}/${group.name}`;
    current.set(`id:${memberId}`, { member: { groupId: memberId }, display });
  }
  return current;
}

/** How member references resolve: against the file first (what it declares), then the directory. */
function references(entries: GroupEntry[], directory: DirectorySnapshot, context: PlanContext) {
  const users = context.declared(usersSection);
  const declaredUsers = new Map(users?.map((u) => [u.userName.toLowerCase(), u.userName]));
  const declaredGroups = new Map(entries.map((g) => [g.name.toLowerCase(), g.name]));
  const pruneUsers = context.prune && users !== undefined;
  const pruned = (groupName: string) => context.prune && !declaredGroups.has(groupName.toLowerCase());

  return {
    pruned,
    /** Why a reference cannot stand, or undefined. */
    check(p: Principal): string | undefined {
      if (p.kind === 'user') {
        const user = directory.userByName(p.name);
        const declared = declaredUsers.has(p.name.toLowerCase());
        if (!user && !declared) return `unknown user "${p.name}"`;
        if (user && !declared && pruneUsers && user.source === 'builtin' && !user.isRoot)
          return `user "${p.name}" is not declared in users, and --prune deprovisions it`;
        return undefined;
      }
      if (p.kind === 'group') {
        const group = directory.groupByName(p.name);
        if (!group && !declaredGroups.has(p.name.toLowerCase())) return `unknown group "${p.name}"`;
        if (group && pruned(group.name))
          return `group "${p.name}" is not declared in groups, and --prune deletes it`;
        return undefined;
      }
      if (!directory.groupByName(p.name, groupSource(p)))
        return `unknown directory group "${p.connector}/${p.name}" (no group "${p.name}" synced from connector ${p.connector})`;
      return undefined;
    },
    /** Objects that exist are known by id, the ones the apply creates by name. */
    identity(p: Principal): string {
      const existing =
        p.kind === 'user' ? directory.userByName(p.name) : directory.groupByName(p.name, groupSource(p));
      return existing ? `id:${existing.id}` : `new:${principalKey(p)}`;
    },
    display(p: Principal): string {
      if (p.kind === 'user')
        return `user:${declaredUsers.get(p.name.toLowerCase()) ?? directory.userByName(p.name)?.userName ?? p.name}`;
      if (p.kind === 'group') return `group:${declaredGroups.get(p.name.toLowerCase()) ?? p.name}`;
      return formatPrincipal({ ...p, name: directory.groupByName(p.name, groupSource(p))?.name ?? p.name });
    },
  };
}

/**
 * Nesting cycles in the groups as they will be after the apply: a declared group's members are the
 * file's, other built-in groups keep theirs from the directory (pruned ones are gone). Directory
 * groups never contain built-in groups, so a cycle runs through built-in groups only.
 */
function cycles(
  entries: GroupEntry[],
  directory: DirectorySnapshot,
  pruned: (name: string) => boolean,
): Problem[] {
  const edges = new Map<string, string[]>();
  for (const group of directory.groups) {
    if (pruned(group.name)) continue;
    const inner = directory.membersOf(group.id).groupIds.map((id) => directory.groupById(id)!);
    edges.set(
      group.name.toLowerCase(),
      inner.filter((g) => g.source === 'builtin' && !pruned(g.name)).map((g) => g.name.toLowerCase()),
    );
  }
  const names = new Map<string, string>(directory.groups.map((g) => [g.name.toLowerCase(), g.name]));
  for (const entry of entries) {
    names.set(entry.name.toLowerCase(), entry.name);
    if (!entry.members) {
      if (!edges.has(entry.name.toLowerCase())) edges.set(entry.name.toLowerCase(), []);
      continue;
    }
    edges.set(
      entry.name.toLowerCase(),
      entry.members.flatMap((m) => (m.kind === 'group' ? [m.name.toLowerCase()] : [])),
    );
  }
  const problems: Problem[] = [];
  const reported = new Set<string>();
  entries.forEach((entry, i) => {
    entry.members?.forEach((member, j) => {
      if (member.kind !== 'group') return;
      const path = pathBetween(edges, member.name.toLowerCase(), entry.name.toLowerCase());
      if (!path) return;
      const loop = [entry.name.toLowerCase(), ...path];
      const id = [...new Set(loop)].sort().join('\u0000');
      if (reported.has(id)) return;
      reported.add(id);
      problems.push({
        path: [i, 'members', j],
        message: `membership cycle: ${loop.map((n) => `group:${names.get(n) ?? n}`).join(' → ')}`,
      });
    });
  });
  return problems;
}

/** The shortest nesting path from one group to another (both included), or undefined. */
function pathBetween(edges: Map<string, string[]>, from: string, to: string): string[] | undefined {
  const parent = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    if (node === to) {
      const path: string[] = [];
      for (let n: string | null | undefined = node; n != null; n = parent.get(n)) path.unshift(n);
      return path;
    }
    for (const next of edges.get(node) ?? []) {
      if (!parent.has(next)) {
        parent.set(next, node);
        queue.push(next);
      }
    }
  }
  return undefined;
}

async function resolveGroup(tx: Queryable, name: string, source = 'builtin'): Promise<string> {
  const group = await findGroupByName(tx, name, source);
  if (!group) throw new GatehouseError('not_found', 'directory.group_not_found', `no group "${name}"`);
  return group.id;
}

/** The member's id at the time the change runs (objects created earlier in the apply included). */
async function resolveMember(tx: Queryable, p: Principal, directory: DirectorySnapshot): Promise<Member> {
  if (p.kind === 'user') {
    const userId = directory.userByName(p.name)?.id ?? (await findUserByName(tx, p.name))?.id;
    if (!userId) throw new GatehouseError('not_found', 'directory.user_not_found', `no user "${p.name}"`);
    return { userId };
  }
  const known = directory.groupByName(p.name, groupSource(p));
  return { groupId: known?.id ?? (await resolveGroup(tx, p.name, groupSource(p))) };
}
