// Sync state per connector (high-water mark, pending confirmation) and the last run of each kind.
import type { Queryable } from '../store/db.ts';
import type { PendingConfirmation, SyncCounts, SyncKind, SyncOutcome, SyncRun } from './types.ts';

export interface SyncState {
  highWaterMark: string | null;
  pending: PendingConfirmation | null;
}

interface StateRow {
  high_water_mark: string | null;
  pending_token: string | null;
  pending_at: Date | null;
  pending_kind: SyncKind | null;
  pending_disable: number | null;
  pending_deprovision: number | null;
  pending_base: number | null;
}

export async function readSyncState(q: Queryable, connectorId: string): Promise<SyncState> {
  const { rows } = await q.query<StateRow>(
    `select high_water_mark, pending_token, pending_at, pending_kind, pending_disable, pending_deprovision, pending_base
     from sync_state where connector_id = $1`,
    [connectorId],
  );
  const row = rows[0];
  if (!row) return { highWaterMark: null, pending: null };
  return {
    highWaterMark: row.high_water_mark,
    pending:
      row.pending_token && row.pending_at
        ? {
            token: row.pending_token,
            at: row.pending_at,
            kind: row.pending_kind ?? 'full',
            disable: row.pending_disable ?? 0,
            deprovision: row.pending_deprovision ?? 0,
            base: row.pending_base ?? 0,
          }
        : null,
  };
}

/** Marks a run as the connector's current one; returns the previous run id (its staging is stale). */
export async function beginRun(q: Queryable, connectorId: string, runId: string): Promise<string | null> {
  const { rows } = await q.query<{ previous: string | null }>(
    `with old as (select current_run_id from sync_state where connector_id = $1)
     insert into sync_state (connector_id, current_run_id) values ($1, $2)
     on conflict (connector_id) do update set current_run_id = excluded.current_run_id, updated_at = now()
     returning (select current_run_id from old) as previous`,
    [connectorId, runId],
  );
  return rows[0]?.previous ?? null;
}

export async function setHighWaterMark(q: Queryable, connectorId: string, mark: string): Promise<void> {
  await q.query('update sync_state set high_water_mark = $2, updated_at = now() where connector_id = $1', [
    connectorId,
    mark,
  ]);
}

export async function setPending(
  q: Queryable,
  connectorId: string,
  pending: PendingConfirmation | null,
): Promise<void> {
  await q.query(
    `update sync_state set pending_token = $2, pending_at = $3, pending_kind = $4, pending_disable = $5,
       pending_deprovision = $6, pending_base = $7, updated_at = now()
     where connector_id = $1`,
    [
      connectorId,
      pending?.token ?? null,
      pending?.at ?? null,
      pending?.kind ?? null,
      pending?.disable ?? null,
      pending?.deprovision ?? null,
      pending?.base ?? null,
    ],
  );
}

const DETAIL_KEYS = [
  'groupsAdded',
  'groupsUpdated',
  'groupsRemoved',
  'membershipsAdded',
  'membershipsRemoved',
] as const;

export async function recordRun(q: Queryable, run: SyncRun): Promise<void> {
  const c = run.counts;
  const details = {
    ...Object.fromEntries(DETAIL_KEYS.map((k) => [k, c[k]])),
    ...(run.reason ? { reason: run.reason } : {}),
    ...(run.errorSamples.length ? { errorSamples: run.errorSamples } : {}),
    ...(run.pending
      ? {
          pending: {
            disable: run.pending.disable,
            deprovision: run.pending.deprovision,
            base: run.pending.base,
          },
        }
      : {}),
  };
  await q.query(
    `insert into sync_runs (connector_id, kind, run_id, trigger, started_at, finished_at, duration_ms, outcome,
       complete, added, updated, disabled, removed, reactivated, errors, details, error)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
     on conflict (connector_id, kind) do update set run_id = excluded.run_id, trigger = excluded.trigger,
       started_at = excluded.started_at, finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
       outcome = excluded.outcome, complete = excluded.complete, added = excluded.added, updated = excluded.updated,
       disabled = excluded.disabled, removed = excluded.removed, reactivated = excluded.reactivated,
       errors = excluded.errors, details = excluded.details, error = excluded.error`,
    [
      run.connectorId,
      run.kind,
      run.runId,
      run.trigger,
      run.startedAt,
      run.finishedAt,
      Math.round(run.durationMs),
      run.outcome,
      run.complete,
      c.added,
      c.updated,
      c.disabled,
      c.removed,
      c.reactivated,
      c.errors,
      details,
      run.error ?? null,
    ],
  );
}

/** The last run of each kind, as stored (what /metrics and status reports show). */
export interface LastRun {
  connectorId: string;
  kind: SyncKind;
  runId: string;
  trigger: string;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  outcome: SyncOutcome;
  complete: boolean;
  counts: SyncCounts;
  error: string | null;
}

interface RunRow {
  connector_id: string;
  kind: SyncKind;
  run_id: string;
  trigger: string;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
  outcome: SyncOutcome;
  complete: boolean;
  added: number;
  updated: number;
  disabled: number;
  removed: number;
  reactivated: number;
  errors: number;
  details: Record<string, unknown>;
  error: string | null;
}

export async function lastRuns(q: Queryable, connectorId?: string): Promise<LastRun[]> {
  const { rows } = await q.query<RunRow>(
    `select * from sync_runs ${connectorId ? 'where connector_id = $1' : ''} order by connector_id, kind`,
    connectorId ? [connectorId] : [],
  );
  return rows.map((r) => ({
    connectorId: r.connector_id,
    kind: r.kind,
    runId: r.run_id,
    trigger: r.trigger,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    outcome: r.outcome,
    complete: r.complete,
    counts: {
      added: r.added,
      updated: r.updated,
      disabled: r.disabled,
      removed: r.removed,
      reactivated: r.reactivated,
      errors: r.errors,
      ...(Object.fromEntries(DETAIL_KEYS.map((k) => [k, Number(r.details[k] ?? 0)])) as Record<
        (typeof DETAIL_KEYS)[number],
        number
      >),
    },
    error: r.error,
  }));
}
