// Shapes of the directory sync: what a run did, what it holds back, how it was asked for.
import type { AuditContext } from '../audit/audit.ts';

export type SyncKind = 'full' | 'incremental';

/**
 * applied: the run completed and everything it found was applied.
 * held: the run completed, but what it would disable or deprovision is over the threshold: none of it
 *   was applied; a confirmation lets a full sync apply that much.
 * incomplete: the directory did not prove the run saw everything (limit, outage, timeout, stop):
 *   additions and updates were applied, nothing destructive.
 * failed: an error in Gatehouse itself (database): as incomplete, with the error.
 */
export type SyncOutcome = 'applied' | 'held' | 'incomplete' | 'failed';

/** Who asked: the scheduler, the CLI, a confirmation, the admin API. */
export type SyncTrigger = 'schedule' | 'cli' | 'confirm' | 'api';

export interface SyncCounts {
  /** Users created. */
  added: number;
  /** Users whose profile fields changed. */
  updated: number;
  /** Users disabled because the directory says so. */
  disabled: number;
  /** Users deprovisioned because a complete full sync did not find them. */
  removed: number;
  /** Users enabled again, or brought back from deprovisioned, because the directory has them again. */
  reactivated: number;
  /** Entries skipped (name taken, invalid values, membership cycles); the run goes on. */
  errors: number;
  groupsAdded: number;
  groupsUpdated: number;
  groupsRemoved: number;
  membershipsAdded: number;
  membershipsRemoved: number;
}

export const zeroCounts = (): SyncCounts => ({
  added: 0,
  updated: 0,
  disabled: 0,
  removed: 0,
  reactivated: 0,
  errors: 0,
  groupsAdded: 0,
  groupsUpdated: 0,
  groupsRemoved: 0,
  membershipsAdded: 0,
  membershipsRemoved: 0,
});

export function addCounts(into: SyncCounts, more: Partial<SyncCounts>): void {
  for (const [k, v] of Object.entries(more) as [keyof SyncCounts, number][]) into[k] += v;
}

/** What a run would disable and deprovision. */
export interface Destructive {
  disable: number;
  deprovision: number;
}

/** A held run, waiting for a confirmation. */
export interface PendingConfirmation extends Destructive {
  /** Changes with every held run: a confirmation quoting an older token is refused. */
  token: string;
  at: Date;
  kind: SyncKind;
  /** The connector's users (not deprovisioned) the share was taken of. */
  base: number;
}

export interface SyncRun {
  connectorId: string;
  runId: string;
  kind: SyncKind;
  trigger: SyncTrigger;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  outcome: SyncOutcome;
  /** The directory ended the enumeration saying it was complete (and we did not stop early). */
  complete: boolean;
  counts: SyncCounts;
  /** Set when the run was held. */
  pending?: PendingConfirmation;
  /** Why an incomplete run is incomplete (size_limit, unavailable, resync_required, timeout, stopped, …). */
  reason?: string;
  /** Message of an incomplete or failed run. */
  error?: string;
  /** The first few skipped entries, with why. */
  errorSamples: string[];
}

export interface RunOptions {
  kind: SyncKind;
  trigger: SyncTrigger;
  /** Who asked, for the `sync.run` audit entry (default: system). */
  context?: AuditContext;
  /** Confirmed amounts: the run may disable and deprovision up to these despite the threshold. */
  allowance?: Destructive;
  /** Stops the run between batches (shutdown): it ends incomplete. */
  signal?: AbortSignal;
  /** The run ends incomplete when the directory has not finished by then (default 1 h). */
  timeoutMs?: number;
}
