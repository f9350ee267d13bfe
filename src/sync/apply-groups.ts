// One batch of directory groups → Gatehouse groups (source `ldap:<id>`, keyed by external id), in the
// caller's transaction. Each group's direct members are staged; the memberships themselves are
// mirrored at the end of the run, when every group of the run exists (nesting may point forward).
import type { Group as DirectoryGroup } from '../../connectors/types.ts';
import { createGroups, GROUP_COLUMNS, type Group, toGroup, updateGroup } from '../directory/groups.ts';
import type { Queryable } from '../store/db.ts';
import type { BatchTally, RunScope } from './batch.ts';
import { type GroupProfile, toGroupProfile } from './profile.ts';
import { attempt } from './savepoint.ts';
import { type StagedMember, stageMembers, stageSeen } from './staging.ts';

export async function applyGroups(
  tx: Queryable,
  scope: RunScope,
  groups: DirectoryGroup[],
  tally: BatchTally,
): Promise<void> {
  await stageSeen(
    tx,
    scope.runId,
    'g',
    groups.map((g) => g.externalId),
  );
  const known = await knownGroups(
    tx,
    scope.source,
    groups.map((g) => g.externalId),
  );
  const ids = new Map<string, string>();
  const fresh: DirectoryGroup[] = [];
  for (const d of groups) {
    const existing = known.get(d.externalId);
    if (!existing) {
      fresh.push(d);
      continue;
    }
    // A group whose name could not be updated still mirrors its members.
    ids.set(d.externalId, existing.id);
    const profile = toGroupProfile(d);
    const changes = groupChanges(existing, profile);
    if (!changes) continue;
    const r = await attempt(tx, () => updateGroup(tx, scope.audit, existing.id, changes));
    if (r.ok) tally.add('groupsUpdated');
    else tally.error(`group ${d.name} (${d.externalId})`, r.error.message);
  }
  if (fresh.length) {
    const { created, refused } = await createGroups(
      tx,
      scope.audit,
      fresh.map((d) => ({ ...toGroupProfile(d), externalId: d.externalId })),
      { source: scope.source },
    );
    tally.add('groupsAdded', created.length);
    for (const r of refused) {
      const d = fresh[r.index]!;
      tally.error(`group ${d.name} (${d.externalId})`, r.error.message);
    }
    for (const g of created) ids.set(g.externalId!, g.id);
  }
  const members: StagedMember[] = [];
  for (const d of groups) {
    const groupId = ids.get(d.externalId);
    if (!groupId) continue;
    for (const id of d.members) members.push({ groupId, kind: 'u', externalId: id });
    for (const id of d.memberGroups) members.push({ groupId, kind: 'g', externalId: id });
  }
  await stageMembers(tx, scope.runId, members);
}

function groupChanges(existing: Group, profile: GroupProfile): Record<string, unknown> | undefined {
  const changes: Record<string, unknown> = {};
  if (existing.name !== profile.name) changes['name'] = profile.name;
  if (existing.description !== profile.description) changes['description'] = profile.description;
  return Object.keys(changes).length ? changes : undefined;
}

async function knownGroups(
  tx: Queryable,
  source: string,
  externalIds: string[],
): Promise<Map<string, Group>> {
  const { rows } = await tx.query<Parameters<typeof toGroup>[0]>(
    `select ${GROUP_COLUMNS} from groups where source = $1 and external_id = any($2::text[])`,
    [source, externalIds],
  );
  return new Map(rows.map((row) => [row.external_id!, toGroup(row)]));
}
