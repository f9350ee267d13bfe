import { EVENTS_CHANNEL, readEvents, type StoredEvent } from '../directory/events.ts';
import type { Logger } from '../log.ts';
import { serialPasses } from '../serial-passes.ts';
import type { Db } from '../store/db.ts';

export type EventHandler = (event: StoredEvent) => Promise<void>;

export interface EventConsumer {
  /** Processes what is pending now (tests and shutdown call it; NOTIFY and the timer do too). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Acts on domain events once across all nodes: for consequences that must not happen once per
 * node (a back-channel logout notice, a SAML logout request). The node holding the advisory lock
 * reads events after a durable cursor, hands each to `handle`, and advances the cursor; the others
 * give way. A new consumer starts at the newest event, not at history. A handler that throws is
 * logged and skipped (handlers own their retries): one bad endpoint must not stall the queue.
 */
export async function startEventConsumer(
  db: Db,
  name: string,
  handle: EventHandler,
  log: Logger,
  options: { interval: number; batch?: number } = { interval: 1_000 },
): Promise<EventConsumer> {
  await db.query(
    `insert into event_consumers (name, last_id)
     select $1, coalesce(max(id), 0) from domain_events
     on conflict (name) do nothing`,
    [name],
  );
  let closed = false;

  const once = async () => {
    await db.tryWithLock(`event-consumer:${name}`, async () => {
      for (;;) {
        const { rows } = await db.query<{ last_id: number }>(
          'select last_id from event_consumers where name = $1',
          [name],
        );
        const events = await readEvents(db, Number(rows[0]!.last_id), options.batch ?? 500);
        if (!events.length || closed) return;
        for (const event of events) {
          try {
            await handle(event);
          } catch (error) {
            log.warn(
              { consumer: name, event: event.id, err: (error as Error).message },
              'event handler failed',
            );
          }
        }
        await db.query('update event_consumers set last_id = $2, updated_at = now() where name = $1', [
          name,
          events.at(-1)!.id,
        ]);
      }
    });
  };
  // One pass at a time; a wake-up during a pass earns one more pass, so no notice is slept through.
  const passes = serialPasses(once, () => closed);
  const drain = (): Promise<void> =>
    passes.run().catch((error: unknown) => {
      log.warn({ consumer: name, err: (error as Error).message }, 'event consumer failed');
    });

  const unlisten = await db.listen(EVENTS_CHANNEL, () => void drain());
  const timer = setInterval(() => void drain(), options.interval).unref();
  return {
    drain,
    async close() {
      closed = true;
      clearInterval(timer);
      await unlisten();
      await passes.current()?.catch(() => {});
    },
  };
}
