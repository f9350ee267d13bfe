import { CLIENTS_CHANNEL, type ClientRecord, findClient } from '../../src/clients/clients.ts';
import type { Db } from '../../src/store/db.ts';

/** How long a client read stays cached when no change notification arrives (a missed NOTIFY). */
const TTL_MS = 5_000;

/**
 * Client look-ups for the token endpoint, which reads the client on every request. A change to a
 * client (admin API, apply) notifies every node, which drops its copy; the short TTL bounds the
 * staleness if a notification is lost.
 */
export function clientCache(
  db: Db,
  onError: (error: unknown) => void,
): { lookup(id: string): Promise<ClientRecord | undefined> } {
  const cache = new Map<string, { at: number; record: ClientRecord | undefined }>();
  // Listening starts in the background; until it does, the TTL bounds staleness.
  db.listen(CLIENTS_CHANNEL, (id) => {
    cache.delete(id);
  }).catch(onError);
  return {
    async lookup(id) {
      const hit = cache.get(id);
      if (hit && Date.now() - hit.at < TTL_MS) return hit.record;
      const record = await findClient(db, id);
      if (cache.size > 10_000) cache.clear();
      cache.set(id, { at: Date.now(), record });
      return record;
    },
  };
}
