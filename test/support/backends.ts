import type { Db } from '../../src/store/db.ts';
import { openPglite } from '../../src/store/pglite.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { createTestDatabase, postgresAvailable } from './postgres.ts';

export interface TestBackend {
  name: 'pglite' | 'postgres';
  /** A fresh, empty database; `close` also drops it. */
  open(): Promise<{ db: Db; url?: string; close(): Promise<void> }>;
}

const pglite: TestBackend = {
  name: 'pglite',
  async open() {
    const db = await openPglite(undefined);
    return { db, close: () => db.close() };
  },
};

const postgres: TestBackend = {
  name: 'postgres',
  async open() {
    const database = await createTestDatabase();
    const db = await openPostgres({
      url: database.url,
      poolSize: 10,
      connectTimeout: 5_000,
      statementTimeout: 30_000,
    });
    return {
      db,
      url: database.url,
      async close() {
        await db.close();
        await database.drop();
      },
    };
  },
};

/** Both backends where PostgreSQL is reachable (always in CI), PGlite alone elsewhere. */
export const backends: TestBackend[] = (await postgresAvailable()) ? [pglite, postgres] : [pglite];
