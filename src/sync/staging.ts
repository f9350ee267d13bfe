// Per-run staging in the database, so that a run's memory does not grow with the directory: the
// external ids it saw (absence is decided at the end) and the memberships each group should have.
import type { Queryable } from '../store/db.ts';

export type StagedKind = 'u' | 'g';

export async function stageSeen(
  tx: Queryable,
  runId: string,
  kind: StagedKind,
  externalIds: string[],
): Promise<void> {
  if (externalIds.length === 0) return;
  await tx.query(
    `insert into sync_run_seen (run_id, kind, external_id) select $1, $2, x from unnest($3::text[]) x
     on conflict do nothing`,
    [runId, kind, externalIds],
  );
}

export interface StagedMember {
  groupId: string;
  kind: StagedKind;
  externalId: string;
}

export async function stageMembers(tx: Queryable, runId: string, members: StagedMember[]): Promise<void> {
  if (members.length === 0) return;
  await tx.query(
    `insert into sync_run_members (run_id, group_id, member_kind, member_external_id)
     select $1, g, k, x from unnest($2::uuid[], $3::text[], $4::text[]) as t(g, k, x)
     on conflict do nothing`,
    [runId, members.map((m) => m.groupId), members.map((m) => m.kind), members.map((m) => m.externalId)],
  );
}

export async function clearStaging(q: Queryable, runId: string): Promise<void> {
  await q.query('delete from sync_run_seen where run_id = $1', [runId]);
  await q.query('delete from sync_run_members where run_id = $1', [runId]);
}
