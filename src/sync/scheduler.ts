// Runs each connector's syncs on its schedule: incremental every `sync.incremental`, full every
// `sync.full`. Every node runs a scheduler; the connector's lock lets one sync at a time, and the
// schedule is read from the database, so the nodes share the work rather than repeat it.
import type { Runtime } from '../runtime.ts';
import { registerSyncMetrics } from './metrics.ts';
import { syncWhenDue } from './run.ts';
import { dueKind, tickInterval } from './schedule.ts';
import { lastRuns } from './state.ts';

export interface SyncScheduler {
  /** Stops the timers; a run in progress stops at its next batch (incomplete: nothing destructive). */
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  /** Delay of the first look after start (default 1 s). */
  initialDelayMs?: number;
}

export function startSyncScheduler(
  runtime: Pick<Runtime, 'db' | 'log' | 'connectors' | 'metrics'>,
  options: SchedulerOptions = {},
): SyncScheduler {
  const { db, log } = runtime;
  const connectors = runtime.connectors.filter((c) => c.fullSync);
  if (connectors.length === 0) return { stop: async () => {} };
  const metrics = registerSyncMetrics(runtime.metrics, db);
  const controller = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  for (const connector of connectors) {
    const interval = tickInterval(connector.syncPolicy);
    const tick = async () => {
      // Decided under the lock, from the runs recorded so far (by whichever node made them).
      const attempt = await syncWhenDue({ db, log }, connector, async () => {
        const runs = await lastRuns(db, connector.id);
        const kind = dueKind(
          {
            full: runs.find((r) => r.kind === 'full'),
            incremental: runs.find((r) => r.kind === 'incremental'),
          },
          connector.syncPolicy,
          Date.now(),
        );
        return kind && !stopped ? { kind, trigger: 'schedule', signal: controller.signal } : null;
      });
      if (attempt.ran) for (const run of attempt.runs) metrics.observe(run);
    };
    const schedule = (delay: number) => {
      if (stopped) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        const p = tick()
          .catch((error: unknown) =>
            log.warn(
              { connector: connector.id, err: (error as Error).message },
              'scheduled directory sync failed',
            ),
          )
          .finally(() => {
            running.delete(p);
            schedule(interval);
          });
        running.add(p);
      }, delay);
      timer.unref();
      timers.add(timer);
    };
    schedule(options.initialDelayMs ?? 1_000);
    log.info(
      {
        connector: connector.id,
        incrementalMs: connector.syncPolicy.incrementalMs,
        fullMs: connector.syncPolicy.fullMs,
      },
      'directory sync scheduled',
    );
  }

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      controller.abort();
      await Promise.allSettled([...running]);
    },
  };
}
