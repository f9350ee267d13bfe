import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { notify } from '../../src/store/db.ts';
import { isUniqueViolation } from '../../src/store/errors.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { backends } from '../support/backends.ts';

/** The storage contract, run against every backend: the same SQL, the same behaviour. */
describe.each(backends)('storage conformance: $name', (backend) => {
  let db: Db;
  let url: string | undefined;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, url, close } = await backend.open());
    await db.exec(`
      create table items (id serial primary key, name text unique not null, n int8, data jsonb, raw bytea,
                          at timestamptz, price numeric(10,2), uid uuid default gen_random_uuid());
      create table counter (id int primary key, value int not null);
      insert into counter values (1, 0);
    `);
  });
  afterAll(() => close());

  test('parameters and result types are the same on every backend', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const { rows } = await db.query<Record<string, unknown>>(
      'insert into items (name, n, data, raw, at, price) values ($1, $2, $3, $4, $5, $6) returning *',
      ['types', 9007199254740991, { a: [1, 'x'] }, Buffer.from([0, 1, 255]), at, '12.30'],
    );
    const row = rows[0]!;
    expect(row['n']).toBe(9007199254740991);
    expect(row['data']).toEqual({ a: [1, 'x'] });
    expect(Buffer.from(row['raw'] as Uint8Array)).toEqual(Buffer.from([0, 1, 255]));
    expect(row['raw']).toBeInstanceOf(Buffer);
    expect(row['at']).toEqual(at);
    expect(row['price']).toBe('12.30');
    expect(row['uid']).toMatch(/^[0-9a-f-]{36}$/);
    const count = await db.query<{ c: number }>('select count(*) as c from items where name = $1', ['types']);
    expect(count.rows[0]!.c).toBe(1);
  });

  test('rowCount reports affected rows', async () => {
    await db.query("insert into items (name) values ('rc1'), ('rc2')");
    const result = await db.query("update items set n = 1 where name like 'rc%'");
    expect(result.rowCount).toBe(2);
  });

  test('a transaction commits all of its statements', async () => {
    await db.transaction(async (tx) => {
      await tx.query("insert into items (name) values ('t1')");
      await tx.query("insert into items (name) values ('t2')");
    });
    const { rows } = await db.query<{ name: string }>(
      "select name from items where name in ('t1', 't2') order by name",
    );
    expect(rows.map((r) => r.name)).toEqual(['t1', 't2']);
  });

  test('a transaction whose body throws leaves nothing behind', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query("insert into items (name) values ('ghost')");
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const { rows } = await db.query("select 1 from items where name = 'ghost'");
    expect(rows).toHaveLength(0);
    // The backend is still usable afterwards.
    expect((await db.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
  });

  test('a failed statement inside a transaction rolls the whole transaction back', async () => {
    await db.query("insert into items (name) values ('dup')");
    const error = await db
      .transaction(async (tx) => {
        await tx.query("insert into items (name) values ('before-dup')");
        await tx.query("insert into items (name) values ('dup')");
      })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
    expect((await db.query("select 1 from items where name = 'before-dup'")).rows).toHaveLength(0);
  });

  test('a forced serialization failure is retried, and the retry commits once', async () => {
    let attempts = 0;
    await db.transaction(
      async (tx) => {
        attempts++;
        await tx.query('update counter set value = value + 1 where id = 1');
        if (attempts === 1) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      },
      { isolation: 'serializable' },
    );
    expect(attempts).toBe(2);
    const { rows } = await db.query<{ value: number }>('select value from counter where id = 1');
    expect(rows[0]!.value).toBe(1);
  });

  test('retries stop after the configured attempts', async () => {
    let attempts = 0;
    const error = await db
      .transaction(
        async () => {
          attempts++;
          throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        },
        { attempts: 3 },
      )
      .catch((e: unknown) => e);
    expect(attempts).toBe(3);
    expect((error as { code: string }).code).toBe('40P01');
  });

  test('concurrent serializable increments all land (real conflicts are retried)', async () => {
    await db.query('update counter set value = 0 where id = 1');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction(
          async (tx) => {
            const { rows } = await tx.query<{ value: number }>('select value from counter where id = 1');
            await tx.query('update counter set value = $1 where id = 1', [rows[0]!.value + 1]);
          },
          { isolation: 'serializable', attempts: 50 },
        ),
      ),
    );
    const { rows } = await db.query<{ value: number }>('select value from counter where id = 1');
    expect(rows[0]!.value).toBe(20);
  });

  test('LISTEN/NOTIFY delivers payloads; a notification in a transaction arrives only at commit', async () => {
    const received: string[] = [];
    const unlisten = await db.listen('conformance_channel', (payload) => received.push(payload));
    await notify(db, 'conformance_channel', 'hello');
    await expect.poll(() => received, { timeout: 5_000 }).toEqual(['hello']);

    await db
      .transaction(async (tx) => {
        await notify(tx, 'conformance_channel', 'rolled back');
        throw new Error('abort');
      })
      .catch(() => {});
    await db.transaction(async (tx) => {
      await notify(tx, 'conformance_channel', 'committed');
      await sleep(50);
      expect(received).toEqual(['hello']);
    });
    await expect.poll(() => received, { timeout: 5_000 }).toEqual(['hello', 'committed']);
    await unlisten();
    await notify(db, 'conformance_channel', 'after');
    await sleep(100);
    expect(received).toEqual(['hello', 'committed']);
  });

  test('withLock serialises holders; tryWithLock gives up when held', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = db.withLock('conformance', async () => {
      order.push('first:start');
      await gate;
      order.push('first:end');
    });
    await sleep(50);
    const second = db.withLock('conformance', async () => {
      order.push('second');
    });
    if (backend.name === 'postgres' && url) {
      // Another node (another pool) sees the same lock.
      const other = await openPostgres({ url, poolSize: 2, connectTimeout: 5_000, statementTimeout: 5_000 });
      expect(await other.tryWithLock('conformance', async () => 'got it')).toBeUndefined();
      await other.close();
    }
    expect(await db.tryWithLock('conformance', async () => 'got it')).toBeUndefined();
    await sleep(50);
    expect(order).toEqual(['first:start']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first:start', 'first:end', 'second']);
    expect(await db.tryWithLock('conformance', async () => 'got it')).toEqual({ value: 'got it' });
  });
});
