// Running a connector's sync the way every caller should: under the connector's cluster-wide lock
// (only one node syncs a connector at a time), following an unusable high-water mark with a full
// sync, and confirming a held run.
import type { Connector } from '../../connectors/types.ts';
import type { AuditContext } from '../audit/audit.ts';
import { GatehouseError } from '../errors.ts';
import { runSync, type SyncDeps } from './engine.ts';
import { readSyncState } from './state.ts';
import type { RunOptions, SyncRun } from './types.ts';

/** `ran` with the runs made (none when nothing was due), or `busy`: another sync holds the lock. */
export type SyncAttempt = { ran: true; runs: SyncRun[] } | { ran: false; reason: 'busy' };

export const syncLockName = (connectorId: string): string => `gatehouse:sync:${connectorId}`;

/** Runs a sync unless another one of this connector is running (on any node): then `busy`. */
export function syncConnector(
  deps: SyncDeps,
  connector: Connector,
  options: RunOptions,
): Promise<SyncAttempt> {
  return syncWhenDue(deps, connector, async () => options);
}

/**
 * Under the connector's lock, asks `due` what to run (the scheduler decides from the runs recorded
 * so far, which another node may just have added) and runs it; `due` returning null runs nothing.
 */
export async function syncWhenDue(
  deps: SyncDeps,
  connector: Connector,
  due: () => Promise<RunOptions | null>,
): Promise<SyncAttempt> {
  const held = await deps.db.tryWithLock(syncLockName(connector.id), async () => {
    const options = await due();
    if (!options) return [];
    const first = await runSync(deps, connector, options);
    // The mark is from another server or dialect: only a full sync can continue from here.
    if (first.kind === 'incremental' && first.reason === 'resync_required')
      return [first, await runSync(deps, connector, { ...options, kind: 'full' })];
    return [first];
  });
  return held ? { ran: true, runs: held.value } : { ran: false, reason: 'busy' };
}

export interface ConfirmOptions {
  /** The token of the hold being confirmed (the admin API passes what it showed); default: the current one. */
  token?: string;
  context?: AuditContext;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Confirms a held run: a full sync runs now and may disable and deprovision up to what the hold
 * reported (no more: if the directory got worse since, it is held again with the new counts).
 */
export async function confirmSync(
  deps: SyncDeps,
  connector: Connector,
  options: ConfirmOptions = {},
): Promise<SyncAttempt> {
  const held = await deps.db.tryWithLock(syncLockName(connector.id), async () => {
    const { pending } = await readSyncState(deps.db, connector.id);
    if (!pending)
      throw new GatehouseError(
        'conflict',
        'sync.nothing_to_confirm',
        `no sync of ${connector.id} awaits confirmation`,
      );
    if (options.token !== undefined && options.token !== pending.token)
      throw new GatehouseError(
        'precondition_failed',
        'sync.confirmation_stale',
        `the held sync of ${connector.id} has changed since; review the new counts and confirm again`,
      );
    return [
      await runSync(deps, connector, {
        kind: 'full',
        trigger: 'confirm',
        allowance: { disable: pending.disable, deprovision: pending.deprovision },
        ...(options.context ? { context: options.context } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      }),
    ];
  });
  return held ? { ran: true, runs: held.value } : { ran: false, reason: 'busy' };
}
