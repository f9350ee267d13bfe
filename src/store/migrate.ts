import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatehouseError } from '../errors.ts';
import type { Db } from './db.ts';

export const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url).pathname;
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  applied: number[];
  pending: Migration[];
}

/** Reads `NNNN_name.sql` files in order; anything else in the folder is an error, not ignored. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE.exec(file);
      if (!match)
        throw new GatehouseError('invalid', 'migrate.bad_name', `migration ${file}: expected NNNN_name.sql`);
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(match[1]),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new GatehouseError('invalid', 'migrate.gap', `migration ${m.name}: expected version ${i + 1}`);
    }
  });
  return migrations;
}

const CREATE_TABLE = `create table if not exists schema_migrations (
  version integer primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now()
)`;

/**
 * Compares what the database has applied with the files: an applied file that was edited, or a
 * database ahead of this build, is an error (never silently ignored).
 */
export async function migrationStatus(db: Db, migrations = readMigrations()): Promise<MigrationStatus> {
  const exists = await db.query<{ present: boolean }>(
    "select to_regclass('schema_migrations') is not null as present",
  );
  const rows = exists.rows[0]?.present
    ? (
        await db.query<{ version: number; name: string; checksum: string }>(
          'select version, name, checksum from schema_migrations order by version',
        )
      ).rows
    : [];
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of rows) {
    const file = byVersion.get(row.version);
    if (!file) {
      throw new GatehouseError(
        'conflict',
        'migrate.unknown_version',
        `database has migration ${row.name} that this build does not know; upgrade Gatehouse`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new GatehouseError(
        'conflict',
        'migrate.checksum',
        `migration ${file.name} was edited after it was applied (checksum mismatch); add a new migration instead`,
      );
    }
  }
  const applied = new Set(rows.map((r) => r.version));
  return { applied: [...applied], pending: migrations.filter((m) => !applied.has(m.version)) };
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so that nodes
 * starting together apply each migration exactly once. Returns the names applied by this call.
 */
export async function migrate(db: Db, migrations = readMigrations()): Promise<string[]> {
  return db.withLock('gatehouse:migrate', async () => {
    await db.exec(CREATE_TABLE);
    const { pending } = await migrationStatus(db, migrations);
    const applied: string[] = [];
    for (const migration of pending) {
      await db.transaction(
        async (tx) => {
          await tx.exec(migration.sql);
          await tx.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [
            migration.version,
            migration.name,
            migration.checksum,
          ]);
        },
        { attempts: 1 },
      );
      applied.push(migration.name);
    }
    return applied;
  });
}
