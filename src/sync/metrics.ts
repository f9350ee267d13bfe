// Sync figures for /metrics. The last run of each kind is read from the database at scrape time, so
// every node reports the same (whichever node ran it); run counters are this node's own.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../store/db.ts';
import { type LastRun, lastRuns } from './state.ts';
import type { SyncRun } from './types.ts';

export interface SyncMetrics {
  /** Counts a run this node made. */
  observe(run: SyncRun): void;
}

const CHANGES = ['added', 'updated', 'disabled', 'removed', 'reactivated'] as const;
const OUTCOMES = ['applied', 'held', 'incomplete', 'failed'] as const;

export function registerSyncMetrics(registry: Registry, db: Db): SyncMetrics {
  let cache: { at: number; value: Promise<Snapshot> } | undefined;
  const snapshot = (): Promise<Snapshot> => {
    if (!cache || Date.now() - cache.at > 1_000) cache = { at: Date.now(), value: load(db) };
    return cache.value;
  };
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: Gauge, s: Snapshot) => void,
  ): Gauge =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        fill(this, s);
      },
    });
  gauge(
    'gatehouse_sync_last_run_timestamp_seconds',
    'When the last directory sync of each kind finished',
    ['connector', 'kind'],
    (g, s) => {
      for (const r of s.runs) g.set(labels(r), r.finishedAt.getTime() / 1000);
    },
  );
  gauge(
    'gatehouse_sync_last_run_duration_seconds',
    'How long the last directory sync of each kind took',
    ['connector', 'kind'],
    (g, s) => {
      for (const r of s.runs) g.set(labels(r), r.durationMs / 1000);
    },
  );
  gauge(
    'gatehouse_sync_last_run_users',
    'Users added, updated, disabled, removed (deprovisioned) and reactivated by the last sync of each kind',
    ['connector', 'kind', 'change'],
    (g, s) => {
      for (const r of s.runs) for (const change of CHANGES) g.set({ ...labels(r), change }, r.counts[change]);
    },
  );
  gauge(
    'gatehouse_sync_last_run_errors',
    'Entries the last sync of each kind skipped (name taken, invalid values)',
    ['connector', 'kind'],
    (g, s) => {
      for (const r of s.runs) g.set(labels(r), r.counts.errors);
    },
  );
  gauge(
    'gatehouse_sync_last_run_outcome',
    'Outcome of the last sync of each kind (1 for the outcome it had)',
    ['connector', 'kind', 'outcome'],
    (g, s) => {
      for (const r of s.runs)
        for (const outcome of OUTCOMES) g.set({ ...labels(r), outcome }, r.outcome === outcome ? 1 : 0);
    },
  );
  gauge(
    'gatehouse_sync_pending_confirmation',
    'A held sync awaits confirmation (gatehouse sync --confirm)',
    ['connector'],
    (g, s) => {
      for (const [connector, pending] of s.pending) g.set({ connector }, pending ? 1 : 0);
    },
  );
  const runs = new Counter({
    name: 'gatehouse_sync_runs_total',
    help: 'Directory syncs run by this node, by outcome',
    labelNames: ['connector', 'kind', 'outcome'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'gatehouse_sync_errors_total',
    help: 'Entries skipped by the syncs of this node, plus its failed runs',
    labelNames: ['connector'],
    registers: [registry],
  });
  return {
    observe(run) {
      runs.inc({ connector: run.connectorId, kind: run.kind, outcome: run.outcome });
      errors.inc({ connector: run.connectorId }, run.counts.errors + (run.outcome === 'failed' ? 1 : 0));
    },
  };
}

const labels = (r: LastRun) => ({ connector: r.connectorId, kind: r.kind });

interface Snapshot {
  runs: LastRun[];
  pending: Map<string, boolean>;
}

async function load(db: Db): Promise<Snapshot> {
  try {
    const runs = await lastRuns(db);
    const { rows } = await db.query<{ connector_id: string; pending: boolean }>(
      'select connector_id, pending_token is not null as pending from sync_state',
    );
    return { runs, pending: new Map(rows.map((r) => [r.connector_id, r.pending])) };
  } catch {
    // The database being away shows in /readyz; /metrics still answers with what it can.
    return { runs: [], pending: new Map() };
  }
}
