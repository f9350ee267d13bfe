import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { migrate, migrationStatus, readMigrations } from '../../src/store/migrate.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { backends } from '../support/backends.ts';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

test('the project migrations are numbered without gaps', () => {
  const migrations = readMigrations();
  expect(migrations.length).toBeGreaterThan(0);
  expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
});

test('a file that does not follow NNNN_name.sql is an error, not skipped', () => {
  expect(() => readMigrations(folder({ '0001_a.sql': 'select 1', 'oops.sql': 'select 1' }))).toThrow(
    /NNNN_name\.sql/,
  );
  expect(() => readMigrations(folder({ '0001_a.sql': 'select 1', '0003_c.sql': 'select 1' }))).toThrow(
    /expected version 2/,
  );
});

describe.each(backends)('migrations on $name', (backend) => {
  let db: Db;
  let url: string | undefined;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, url, close } = await backend.open());
  });
  afterAll(() => close());

  const v1 = { '0001_first.sql': 'create table a (id int primary key);' };
  const v2 = { ...v1, '0002_second.sql': 'create table b (id int primary key); insert into a values (1);' };

  test('applies pending files in order, records checksums, and is idempotent', async () => {
    expect(await migrate(db, readMigrations(folder(v1)))).toEqual(['0001_first.sql']);
    expect(await migrate(db, readMigrations(folder(v2)))).toEqual(['0002_second.sql']);
    expect(await migrate(db, readMigrations(folder(v2)))).toEqual([]);
    const { rows } = await db.query<{ version: number; checksum: string }>(
      'select version, checksum from schema_migrations order by version',
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(rows[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  test('an applied file that was edited is an error', async () => {
    const edited = { ...v2, '0001_first.sql': 'create table a (id bigint primary key);' };
    await expect(migrate(db, readMigrations(folder(edited)))).rejects.toThrow(/0001_first\.sql was edited/);
  });

  test('a database ahead of this build is an error', async () => {
    await expect(migrationStatus(db, readMigrations(folder(v1)))).rejects.toThrow(/does not know/);
  });

  test('a failing migration leaves nothing of itself behind and stops the run', async () => {
    const broken = { ...v2, '0003_broken.sql': 'create table c (id int); select * from no_such_table;' };
    await expect(migrate(db, readMigrations(folder(broken)))).rejects.toThrow();
    const { rows } = await db.query("select to_regclass('c') as c");
    expect(rows[0]!['c']).toBeNull();
    const status = await migrationStatus(db, readMigrations(folder(broken)));
    expect(status.pending.map((m) => m.name)).toEqual(['0003_broken.sql']);
  });

  // PostgreSQL only: PGlite is one process by construction (the data folder is locked).
  if (backend.name === 'postgres')
    test('nodes migrating at the same moment apply each file exactly once', async () => {
      const files = readMigrations(
        folder({
          ...v2,
          '0003_slow.sql': 'select pg_sleep(0.3); create table d (id int primary key);',
          '0004_count.sql': 'create table applied_log (n int); insert into applied_log values (1);',
        }),
      );
      const nodes = await Promise.all(
        Array.from({ length: 4 }, () =>
          openPostgres({ url: url!, poolSize: 2, connectTimeout: 5_000, statementTimeout: 30_000 }),
        ),
      );
      try {
        const results = await Promise.all(nodes.map((node) => migrate(node, files)));
        expect(results.flat().sort()).toEqual(['0003_slow.sql', '0004_count.sql']);
        const { rows } = await db.query<{ n: number }>('select count(*)::int as n from applied_log');
        expect(rows[0]!.n).toBe(1);
      } finally {
        await Promise.all(nodes.map((node) => node.close()));
      }
    });
});
