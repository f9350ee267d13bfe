import type { Config } from '../config/schema.ts';
import type { Db } from './db.ts';
import { openPglite } from './pglite.ts';
import { openPostgres } from './postgres.ts';

/** PostgreSQL when `database.url` is set, else PGlite in `dataDir`. */
export function openDb(config: Config, onListenerEvent?: (event: 'lost' | 'restored') => void): Promise<Db> {
  const { database } = config;
  if (database.url) {
    return openPostgres({
      url: database.url.reveal(),
      poolSize: database.poolSize,
      connectTimeout: database.connectTimeout,
      statementTimeout: database.statementTimeout,
      ...(onListenerEvent ? { onListenerEvent } : {}),
    });
  }
  return openPglite(config.dataDir);
}
