// When a connector's next sync is due, from the last runs recorded in the database (so that every
// node agrees, whichever ran last).
import type { LastRun } from './state.ts';
import type { SyncKind } from './types.ts';

export interface SyncPolicy {
  incrementalMs: number;
  fullMs: number;
}

/** How often a node looks: the shorter interval (incremental 0 or less means incremental syncs are off). */
export function tickInterval(p: SyncPolicy): number {
  return p.incrementalMs > 0 ? Math.min(p.incrementalMs, p.fullMs) : p.fullMs;
}

/**
 * A full sync is due when none has run, when the last good one (applied or held) started `fullMs`
 * ago, or when the last one failed or was incomplete and a retry interval passed. Otherwise an
 * incremental one is due when the last sync of any kind started about `incrementalMs` ago.
 */
export function dueKind(
  last: { full?: LastRun | undefined; incremental?: LastRun | undefined },
  p: SyncPolicy,
  now: number,
): SyncKind | null {
  const { full, incremental } = last;
  if (!full) return 'full';
  const good = full.outcome === 'applied' || full.outcome === 'held';
  const retryMs = Math.min(p.fullMs, Math.max(p.incrementalMs, 300_000));
  if (now - full.startedAt.getTime() >= (good ? p.fullMs : retryMs)) return 'full';
  if (p.incrementalMs <= 0) return null;
  const latest = Math.max(full.startedAt.getTime(), incremental?.startedAt.getTime() ?? 0);
  // A little slack: timers of different nodes drift; a tick a few percent early still counts.
  return now - latest >= p.incrementalMs * 0.9 ? 'incremental' : null;
}
