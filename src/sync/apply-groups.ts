// One batch of directory groups → Gatehouse groups (source `ldap:<id>`, keyed by external id), in the
// caller's transaction. Each group's direct members are staged; the memberships themselves are
// mirrored at the end of the run, when every group of the run exists (nesting may point forward).
import type { Group as DirectoryGroup } from '../../connectors/types.ts';
import { createGroup, GROUP_COLUMNS, type Group, toGroup, updateGroup } from '../directory/groups.ts';
import type { Queryable } from '../store/db.ts';
import type { BatchTally, RunScope } from './batch.ts';
import { toGroupProfile } from './profile.ts';
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
  const members: StagedMember[] = [];
  for (const d of groups) {
    const existing = known.get(d.externalId);
    const r = await attempt(tx, () => applyOne(tx, scope, d, existing, tally));
    if (!r.ok) tally.error(`group ${d.name} (${d.externalId})`, r.error.message);
    // A group whose name could not be updated still mirrors its members.
    const groupId = r.ok ? r.value : existing?.id;
    if (!groupId) continue;
    for (const id of d.members) members.push({ groupId, kind: 'u', externalId: id });
    for (const id of d.memberGroups) members.push({ groupId, kind: 'g', externalId: id });
  }
  await stageMembers(tx, scope.runId, members);
}

async function applyOne(
  tx: Queryable,
  scope: RunScope,
  d: DirectoryGroup,
  existing: Group | undefined,
  tally: BatchTally,
): Promise<string> {
  const profile = toGroupProfile(d);
  if (!existing) {
    const group = await createGroup(
      tx,
      scope.audit,
      { ...profile, externalId: d.externalId },
      { source: scope.source },
    );
    tally.add('groupsAdded');
    return group.id;
  }
  const changes: Record<string, unknown> = {};
  if (existing.name !== profile.name) changes['name'] = profile.name;
  if (existing.description !== profile.description) changes['description'] = profile.description;
  if (Object.keys(changes).length) {
    await updateGroup(tx, scope.audit, existing.id, changes);
    tally.add('groupsUpdated');
  }
  return existing.id;
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
