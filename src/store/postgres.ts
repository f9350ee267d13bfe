import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Db, Queryable, QueryResult, TransactionOptions } from './db.ts';
import { toStoreError } from './errors.ts';
import { beginStatement, DEFAULT_ATTEMPTS, withRetry } from './retry.ts';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  connectTimeout: number;
  statementTimeout: number;
  /** Called when the notification connection fails or comes back; listeners re-subscribe by themselves. */
  onListenerEvent?: (event: 'lost' | 'restored', error?: unknown) => void;
}

const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20) return (value: string) => Number(value); // int8 as number, like PGlite
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** The PostgreSQL backend: a `pg` pool, plus one dedicated connection for LISTEN. */
export async function openPostgres(options: PostgresOptions): Promise<Db> {
  const clientConfig = {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeout,
    statement_timeout: options.statementTimeout,
    application_name: 'gatehouse',
    types,
  };
  const pool = new pg.Pool({ ...clientConfig, max: options.poolSize, idleTimeoutMillis: 30_000 });
  // An idle client that loses its connection emits on the pool; without a handler the process dies.
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw toStoreError(error);
  }

  const wrap = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      try {
        const result = await client.query(sql, params as unknown[]);
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await client.query(sql);
      } catch (error) {
        throw toStoreError(error);
      }
    },
  });
  const root = wrap(pool);

  // A checked-out client has no listener of the pool's: should the server end its connection while
  // it sits between queries (a restart, an administrator's kill), the 'error' event must not end
  // the process. The next query on it fails instead, and the client is released as broken.
  const guarded = new WeakSet<pg.PoolClient>();
  const ignore = () => {};
  async function connect(): Promise<pg.PoolClient> {
    try {
      const client = await pool.connect();
      if (!guarded.has(client)) {
        client.on('error', ignore);
        guarded.add(client);
      }
      return client;
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async function transactionOnce<T>(
    fn: (tx: Queryable) => Promise<T>,
    options: TransactionOptions,
  ): Promise<T> {
    const client = await connect();
    let broken = false;
    try {
      await client.query(beginStatement(options.isolation));
      const value = await fn(wrap(client));
      await client.query('commit');
      return value;
    } catch (error) {
      try {
        await client.query('rollback');
      } catch {
        broken = true;
      }
      throw toStoreError(error);
    } finally {
      client.release(broken);
    }
  }

  const listener = createListener(clientConfig, options.onListenerEvent);

  async function lockWith<T>(
    sql: string,
    name: string,
    fn: () => Promise<T>,
  ): Promise<{ value: T } | undefined> {
    const client = await connect();
    // The lock's connection sits idle while `fn` runs on others: should the server go away
    // meanwhile, its error must not be an unhandled 'error' event (that ends the process).
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      const { rows } = await client.query<{ locked: boolean | null }>(sql, [name]);
      if (rows[0]?.locked === false) return undefined;
      try {
        return { value: await fn() };
      } finally {
        await client.query('select pg_advisory_unlock(hashtextextended($1, 0))', [name]);
      }
    } catch (error) {
      throw toStoreError(error);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  return {
    kind: 'postgres',
    query: root.query,
    exec: root.exec,
    transaction: (fn, options = {}) =>
      withRetry(options.attempts ?? DEFAULT_ATTEMPTS, () => transactionOnce(fn, options)),
    listen: listener.listen,
    async withLock(name, fn) {
      const held = await lockWith(
        'select pg_advisory_lock(hashtextextended($1, 0)), true as locked',
        name,
        fn,
      );
      return held!.value;
    },
    tryWithLock: (name, fn) =>
      lockWith('select pg_try_advisory_lock(hashtextextended($1, 0)) as locked', name, fn),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}

type Handler = (payload: string) => void;

/**
 * One connection carries every LISTEN of this process. When it drops, it reconnects with back-off
 * and listens again; whoever depends on notifications also re-reads state on a timer, so a
 * notification lost in between costs seconds, not correctness.
 */
function createListener(config: pg.ClientConfig, onEvent: PostgresOptions['onListenerEvent']) {
  const handlers = new Map<string, Set<Handler>>();
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;

  async function connect(): Promise<pg.Client> {
    const next = new pg.Client(config);
    next.on('notification', (message) => {
      for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    next.on('error', (error) => {
      if (client === next) client = undefined;
      next.end().catch(() => {});
      if (!closed) {
        onEvent?.('lost', error);
        void reconnect();
      }
    });
    await next.connect();
    for (const channel of handlers.keys()) await next.query(`listen ${quoteIdent(channel)}`);
    return next;
  }

  async function ensure(): Promise<pg.Client> {
    if (client) return client;
    connecting ??= connect().finally(() => {
      connecting = undefined;
    });
    client = await connecting;
    return client;
  }

  async function reconnect(): Promise<void> {
    for (let delay = 100; !closed && !client; delay = Math.min(delay * 2, 5_000)) {
      await sleep(delay);
      try {
        await ensure();
        onEvent?.('restored');
      } catch {}
    }
  }

  return {
    async listen(channel: string, handler: Handler): Promise<() => Promise<void>> {
      const first = !handlers.has(channel);
      const set = handlers.get(channel) ?? new Set<Handler>();
      handlers.set(channel, set);
      set.add(handler);
      try {
        const c = await ensure();
        if (first) await c.query(`listen ${quoteIdent(channel)}`);
      } catch (error) {
        set.delete(handler);
        if (set.size === 0) handlers.delete(channel);
        throw toStoreError(error);
      }
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel);
          await client?.query(`unlisten ${quoteIdent(channel)}`).catch(() => {});
        }
      };
    },
    async close() {
      closed = true;
      await client?.end().catch(() => {});
      client = undefined;
    },
  };
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
