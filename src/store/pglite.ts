import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult, TransactionOptions } from './db.ts';
import { acquireDirLock } from './dir-lock.ts';
import { toStoreError } from './errors.ts';
import { readTemplate } from './pglite-template.ts';
import { DEFAULT_ATTEMPTS, withRetry } from './retry.ts';

const parsers = {
  20: (value: string) => Number(value), // int8
  1700: (value: string) => value, // numeric stays exact
  17: (value: string) => Buffer.from(value.slice(2), 'hex'), // bytea arrives as \x…
};

/**
 * The embedded backend: PostgreSQL compiled to WebAssembly, one connection, data in a folder
 * (or in memory when `dataDir` is undefined). One process owns the folder at a time.
 */
export async function openPglite(dataDir: string | undefined): Promise<Db> {
  let release = () => {};
  let pgDir: string | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    release = acquireDirLock(join(dataDir, 'gatehouse.lock'));
    pgDir = join(dataDir, 'pgdata');
  }
  let pg: PGlite;
  try {
    // A new folder starts from the initialised template when there is one (see pglite-template.ts).
    const template = !pgDir || !existsSync(join(pgDir, 'PG_VERSION')) ? readTemplate() : undefined;
    pg = await PGlite.create({
      ...(pgDir ? { dataDir: pgDir } : {}),
      ...(template ? { loadDataDir: template } : {}),
      parsers,
      // The embedded database serves one node of a small installation: a small buffer pool.
      postgresqlconf: ['shared_buffers=16MB', 'wal_buffers=1MB'],
    });
  } catch (error) {
    release();
    throw error;
  }
  const locks = new Map<string, Promise<unknown>>();

  const wrap = (q: PGlite | Transaction): Queryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      try {
        const result = await q.query<Row>(sql, params as unknown[]);
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await q.exec(sql);
      } catch (error) {
        throw toStoreError(error);
      }
    },
  });

  const root = wrap(pg);

  /** In-process mutex: the folder lock already makes this process the only user of the database. */
  async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(name) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(fn);
    const tail = run.catch(() => {});
    locks.set(name, tail);
    try {
      return await run;
    } finally {
      if (locks.get(name) === tail) locks.delete(name);
    }
  }

  return {
    kind: 'pglite',
    query: root.query,
    exec: root.exec,
    transaction<T>(fn: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      return withRetry(options.attempts ?? DEFAULT_ATTEMPTS, () =>
        pg.transaction(async (tx) => {
          if (options.isolation) await tx.query(`set transaction isolation level ${options.isolation}`);
          return fn(wrap(tx));
        }),
      );
    },
    async listen(channel, handler) {
      const unsubscribe = await pg.listen(channel, handler);
      return async () => unsubscribe();
    },
    withLock,
    async tryWithLock(name, fn) {
      if (locks.has(name)) return undefined;
      return { value: await withLock(name, fn) };
    },
    stats: () => ({ total: 1, idle: 1, waiting: 0 }),
    async close() {
      try {
        if (!pg.closed) await pg.close();
      } finally {
        release();
      }
    },
  };
}
