import { afterAll, beforeAll } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { TestBackend } from './backends.ts';

/** A migrated database for the enclosing describe block, dropped afterwards. */
export function useDb(backend: TestBackend): { readonly db: Db } {
  const holder = {} as { db: Db; close: () => Promise<void> };
  beforeAll(async () => {
    const opened = await backend.open();
    await migrate(opened.db);
    holder.db = opened.db;
    holder.close = opened.close;
  });
  afterAll(() => holder.close?.());
  return {
    get db() {
      return holder.db;
    },
  };
}
