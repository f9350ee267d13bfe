// One sync run of one connector: stream the directory into the store batch by batch (memory stays
// flat), then, only if the directory proved the run complete and the safety rule allows it, apply
// what is destructive (disables, deprovisions, membership removals, group deletions). The run ends
// with its record and one `sync.run` audit entry, written last in their transaction.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Connector, SyncEnd, SyncItem } from '../../connectors/types.ts';
import { type AuditContext, audit, SYSTEM } from '../audit/audit.ts';
import { GatehouseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Db } from '../store/db.ts';
import { applyGroups } from './apply-groups.ts';
import { addStagedMembers, removeUnstagedMembers } from './apply-members.ts';
import { applyDeprovisions, applyDisables, deleteAbsentGroups, planRemovals } from './apply-removals.ts';
import { applyUsers } from './apply-users.ts';
import { BatchTally, type RunScope, runScope } from './batch.ts';
import { decide } from './safety.ts';
import { clearStaging } from './staging.ts';
import { beginRun, readSyncState, recordRun, setHighWaterMark, setPending } from './state.ts';
import { reader } from './stream.ts';
import {
  type PendingConfirmation,
  type RunOptions,
  type SyncKind,
  type SyncRun,
  zeroCounts,
} from './types.ts';

export interface SyncDeps {
  db: Db;
  log?: Logger | undefined;
}

/** Entries per transaction: short enough that other writers of the audit log wait little. */
const CHUNK = 250;
const DEFAULT_TIMEOUT_MS = 3_600_000;
/** Entries after which a run refreshes the planner's statistics before its set queries. */
const ANALYZE_AFTER = 1_000;

/**
 * Runs one sync of one connector now. The caller holds the connector's sync lock (see syncConnector).
 * Returns the run (also for incomplete and failed runs); throws only when the run cannot even be
 * recorded (database down).
 */
export async function runSync(deps: SyncDeps, connector: Connector, options: RunOptions): Promise<SyncRun> {
  const { db } = deps;
  if (!connector.fullSync)
    throw new GatehouseError('invalid', 'sync.unsupported', `connector ${connector.id} cannot sync`);
  const started = new Date();
  const t0 = performance.now();
  const state = await readSyncState(db, connector.id);
  // No mark yet, or no incremental capability: a full sync is the only way.
  const kind: SyncKind =
    options.kind === 'incremental' && state.highWaterMark !== null && connector.incrementalSync
      ? 'incremental'
      : 'full';
  const runId = randomUUID();
  const scope = runScope(connector, runId, kind, zeroCounts());
  const previous = await beginRun(db, connector.id, runId);
  if (previous) await clearStaging(db, previous);

  const delivered = { users: 0, groups: 0 };
  let end: SyncEnd | undefined;
  let stopped: 'timeout' | 'stopped' | undefined;
  let failure: unknown;
  let pending: PendingConfirmation | undefined;
  let applied = false;
  try {
    const items =
      kind === 'incremental'
        ? connector.incrementalSync!.changesSince(state.highWaterMark!)
        : connector.fullSync.fullSync();
    const stream = reader(items, Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS), options.signal);
    for (;;) {
      const next = await stream.next();
      if ('stopped' in next) {
        stopped = next.stopped;
        break;
      }
      if ('done' in next) break;
      if (next.item.kind === 'end') {
        end = checkedEnd(next.item, delivered);
        // Nothing may follow the end; stop reading (the connector closes its connection).
        stream.stop('stopped');
        break;
      }
      await applyItem(db, scope, next.item);
      if (next.item.kind === 'users') delivered.users += next.item.users.length;
      else delivered.groups += next.item.groups.length;
    }
    // After a large run the staging tables (and maybe the directory tables) just grew by the size of
    // the directory: fresh statistics keep the set queries below on index plans, not nested scans.
    if (delivered.users + delivered.groups >= ANALYZE_AFTER) await analyze(db);
    // Memberships the directory lists are added whatever happens next: that takes nothing away.
    // (Not when asked to stop: the node is shutting down, the next run adds them.)
    if (stopped !== 'stopped') await addStagedMembers(db, scope);
    if (end?.complete && !stopped) {
      const plan = await planRemovals(db, scope);
      const decision = decide(plan, plan.base, connector.syncPolicy.maxDeprovisionPercent, options.allowance);
      if (decision.apply) {
        await removeUnstagedMembers(db, scope);
        if (kind === 'full') await deleteAbsentGroups(db, scope);
        await applyDisables(db, scope);
        if (kind === 'full') await applyDeprovisions(db, scope);
        applied = true;
      } else {
        pending = {
          token: randomBytes(16).toString('base64url'),
          at: new Date(),
          kind,
          disable: plan.disable,
          deprovision: plan.deprovision,
          base: plan.base,
        };
        deps.log?.warn(
          { connector: connector.id, kind, ...plan, percent: decision.percent },
          'directory sync held: it would disable or deprovision too many users; confirm with gatehouse sync --confirm',
        );
      }
    }
  } catch (error) {
    failure = error;
    deps.log?.error(
      { connector: connector.id, kind, err: (error as Error).message },
      'directory sync failed',
    );
  }

  const finished = new Date();
  const run: SyncRun = {
    connectorId: connector.id,
    runId,
    kind,
    trigger: options.trigger,
    startedAt: started,
    finishedAt: finished,
    durationMs: performance.now() - t0,
    outcome: failure ? 'failed' : applied ? 'applied' : pending ? 'held' : 'incomplete',
    complete: !failure && !stopped && end?.complete === true,
    counts: scope.counts,
    errorSamples: scope.errorSamples,
    ...(pending ? { pending } : {}),
    ...incompleteness(failure, stopped, end),
  };
  await finish(db, run, state.pending, end, options.context ?? SYSTEM);
  await clearStaging(db, runId).catch(() => {});
  deps.log?.info(
    {
      connector: connector.id,
      kind,
      outcome: run.outcome,
      durationMs: Math.round(run.durationMs),
      ...run.counts,
    },
    'directory sync finished',
  );
  return run;
}

async function applyItem(db: Db, scope: RunScope, item: Exclude<SyncItem, SyncEnd>): Promise<void> {
  const entries = item.kind === 'users' ? item.users : item.groups;
  for (let i = 0; i < entries.length; i += CHUNK) {
    const tally = await db.transaction(async (tx) => {
      const t = new BatchTally();
      if (item.kind === 'users') await applyUsers(tx, scope, item.users.slice(i, i + CHUNK), t);
      else await applyGroups(tx, scope, item.groups.slice(i, i + CHUNK), t);
      return t;
    });
    tally.mergeInto(scope);
  }
}

/** A directory that says it is complete must also have sent as many entries as it says it found. */
function checkedEnd(end: SyncEnd, delivered: { users: number; groups: number }): SyncEnd {
  if (!end.complete || (end.users === delivered.users && end.groups === delivered.groups)) return end;
  return {
    kind: 'end',
    complete: false,
    reason: 'error',
    message: `the directory reported ${end.users} users and ${end.groups} groups, the sync received ${delivered.users} and ${delivered.groups}`,
    users: delivered.users,
    groups: delivered.groups,
  };
}

async function analyze(db: Db): Promise<void> {
  await db.exec('analyze sync_run_seen, sync_run_members, users, groups, group_members, sync_users');
}

function incompleteness(
  failure: unknown,
  stopped: 'timeout' | 'stopped' | undefined,
  end: SyncEnd | undefined,
): { reason?: string; error?: string } {
  if (failure) return { reason: 'error', error: (failure as Error).message ?? String(failure) };
  if (stopped)
    return {
      reason: stopped,
      error: stopped === 'timeout' ? 'the directory did not finish in time' : 'stopped',
    };
  if (!end) return { reason: 'error', error: 'the directory stream ended without an end marker' };
  if (!end.complete) return { reason: end.reason, error: end.message };
  return {};
}

/** The run's record, the mark, the pending confirmation, and the audit entry last. */
async function finish(
  db: Db,
  run: SyncRun,
  before: PendingConfirmation | null,
  end: SyncEnd | undefined,
  context: AuditContext,
): Promise<void> {
  await db.transaction(async (tx) => {
    await recordRun(tx, run);
    if (run.outcome === 'applied' && end?.complete) {
      await setHighWaterMark(tx, run.connectorId, end.highWaterMark);
      // A full run settles any hold; an incremental one only a hold of its own kind.
      if (before && (run.kind === 'full' || before.kind === 'incremental'))
        await setPending(tx, run.connectorId, null);
    }
    if (run.outcome === 'held') await setPending(tx, run.connectorId, run.pending!);
    await audit(tx, context, {
      action: 'sync.run',
      target: `connector:${run.connectorId}`,
      outcome: run.outcome === 'failed' ? 'failure' : 'success',
      details: {
        runId: run.runId,
        kind: run.kind,
        trigger: run.trigger,
        outcome: run.outcome,
        complete: run.complete,
        held: run.outcome === 'held',
        durationMs: Math.round(run.durationMs),
        ...run.counts,
        ...(run.pending
          ? {
              pending: {
                disable: run.pending.disable,
                deprovision: run.pending.deprovision,
                base: run.pending.base,
              },
            }
          : {}),
        ...(run.reason ? { reason: run.reason } : {}),
        ...(run.error ? { error: run.error.slice(0, 500) } : {}),
      },
    });
  });
}
