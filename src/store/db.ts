/**
 * The one storage interface. Both backends (PGlite, PostgreSQL) run the same SQL; domain code
 * takes a `Queryable` so the same function works inside or outside a transaction.
 *
 * Values come back the same way from both backends: int8 as number, numeric as string,
 * timestamptz as Date, json/jsonb parsed, bytea as Buffer, uuid as string.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  /** One parameterised statement ($1, $2, …). */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Several statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
}

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  isolation?: Isolation;
  /** Attempts in all, including the first, when the database reports a serialization failure or deadlock. */
  attempts?: number;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in a transaction; rolls back when it throws; retries on 40001/40P01. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Subscribes to NOTIFY on a channel; returns the unsubscribe function. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  /** Holds a database-wide advisory lock while `fn` runs (nodes coordinate through it). */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Like withLock, but gives up at once (returns undefined) when another holder has it. */
  tryWithLock<T>(name: string, fn: () => Promise<T>): Promise<{ value: T } | undefined>;
  stats(): PoolStats;
  close(): Promise<void>;
}

/** Notifies a channel; inside a transaction the notification is sent at commit. */
export async function notify(q: Queryable, channel: string, payload: string): Promise<void> {
  await q.query('select pg_notify($1, $2)', [channel, payload]);
}
