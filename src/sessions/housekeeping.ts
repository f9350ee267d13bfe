import type { Runtime } from '../runtime.ts';
import { purgeExpiredSessions } from './sessions.ts';

const EVERY_MS = 10 * 60 * 1000;

/**
 * Deletes sessions that are over every ten minutes (reads never return them anyway; this keeps the
 * table to live sessions). Any node may run it: the delete is idempotent. Returns the stop function.
 */
export function startSessionHousekeeping(runtime: Pick<Runtime, 'db' | 'config' | 'log'>): () => void {
  const timer = setInterval(() => {
    purgeExpiredSessions(runtime.db, runtime.config.sessions)
      .then((n) => n && runtime.log.debug({ purged: n }, 'expired sessions deleted'))
      .catch((error: unknown) =>
        runtime.log.warn({ err: (error as Error).message }, 'session housekeeping failed'),
      );
  }, EVERY_MS).unref();
  return () => clearInterval(timer);
}
