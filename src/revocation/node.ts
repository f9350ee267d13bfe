import { Counter, Gauge, type Registry } from 'prom-client';
import { EVENTS_CHANNEL } from '../directory/events.ts';
import type { Logger } from '../log.ts';
import type { Db } from '../store/db.ts';
import { changesSince, latestEventId, loadEndedSessions, loadUserRevocations } from './load.ts';
import { createRevocationState, type RevocationState } from './state.ts';
import type { RevocationReason, RevocationSubject } from './types.ts';

export interface RevocationOptions {
  reconcileInterval: number;
  staleAfter: number;
  window: number;
}

export interface RevocationNode {
  /** The view verifiers call: synchronous, no database read. */
  check(subject: RevocationSubject): RevocationReason | undefined;
  state: RevocationState;
  /** Re-reads everything in the window from the tables (also run on the timer). */
  reconcile(): Promise<void>;
  /** Undefined when fresh; otherwise why this node must not be trusted (for /readyz). */
  problem(): string | undefined;
  close(): Promise<void>;
}

/**
 * Keeps this node's revocation set current: loaded before the node turns ready, updated within
 * milliseconds from NOTIFY (domain events name the users whose `valid_after` may have moved), and
 * reconciled from the tables on a timer so that a lost notification heals itself. A node that has
 * not reconciled for `staleAfter` fails closed: every check answers `stale`.
 */
export async function startRevocation(
  db: Db,
  options: RevocationOptions,
  log: Logger,
  metrics?: Registry,
): Promise<RevocationNode> {
  const state = createRevocationState(options);
  let eventCursor = await latestEventId(db);
  let following: Promise<void> | undefined;
  let again = false;

  // Follows domain events after the cursor; one reader at a time, re-run when woken meanwhile.
  const follow = (): Promise<void> => {
    if (following) {
      again = true;
      return following;
    }
    following = (async () => {
      try {
        do {
          again = false;
          for (;;) {
            const { lastId, userIds, sessions } = await changesSince(db, eventCursor, options.window);
            for (const r of sessions) state.apply(r);
            if (userIds.length) {
              for (const r of await loadUserRevocations(db, options.window, userIds)) state.apply(r);
            }
            if (lastId === eventCursor) break;
            eventCursor = lastId;
          }
        } while (again);
      } catch (error) {
        log.warn(
          { err: (error as Error).message },
          'revocation: reading events failed; the timer will retry',
        );
      } finally {
        following = undefined;
      }
    })();
    return following;
  };

  const reconcile = async () => {
    const started = Date.now();
    const fromEvents = await latestEventId(db);
    for (const r of await loadUserRevocations(db, options.window)) state.apply(r);
    for (const r of await loadEndedSessions(db, options.window)) state.apply(r);
    eventCursor = Math.max(eventCursor, fromEvents);
    state.prune(started);
    // The state is complete as of when the reads began, not when they ended.
    state.reconciled(started);
  };

  await reconcile();
  const unlistenEvents = await db.listen(EVENTS_CHANNEL, () => void follow());
  const timer = setInterval(() => {
    reconcile().catch((error: unknown) =>
      log.warn({ err: (error as Error).message, age: state.age() }, 'revocation: reconcile failed'),
    );
  }, options.reconcileInterval).unref();

  const denied = metrics
    ? new Counter({
        name: 'gatehouse_revocation_denials_total',
        help: 'Checks refused by the revocation set, by reason',
        labelNames: ['reason'],
        registers: [metrics],
      })
    : undefined;
  if (metrics) {
    new Gauge({
      name: 'gatehouse_revocation_reconcile_age_seconds',
      help: 'Seconds since this node last reconciled its revocation set',
      registers: [metrics],
      collect() {
        this.set(state.age() / 1000);
      },
    });
    new Gauge({
      name: 'gatehouse_revocation_stale',
      help: '1 when this node refuses credentials because it could not reconcile in time',
      registers: [metrics],
      collect() {
        this.set(state.age() > options.staleAfter ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gatehouse_revocation_entries',
      help: 'Revocations held in memory',
      registers: [metrics],
      collect() {
        this.set(state.size());
      },
    });
  }

  return {
    state,
    check(subject) {
      const reason = state.check(subject);
      if (reason) denied?.inc({ reason });
      return reason;
    },
    reconcile,
    problem() {
      const age = state.age();
      return age > options.staleAfter
        ? `revocation set not reconciled for ${Math.round(age / 1000)} s (limit ${options.staleAfter / 1000} s)`
        : undefined;
    },
    async close() {
      clearInterval(timer);
      await unlistenEvents();
      await following;
    },
  };
}
