// One entry's change inside a batch transaction: when the domain refuses it (name taken, invalid
// value, membership cycle), only that entry is rolled back and the batch goes on.
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';

export type Attempt<T> = { ok: true; value: T } | { ok: false; error: GatehouseError };

/** Runs fn under a savepoint; a GatehouseError rolls back to it and is returned, anything else is thrown. */
export async function attempt<T>(tx: Queryable, fn: () => Promise<T>): Promise<Attempt<T>> {
  await tx.query('savepoint gatehouse_sync_entry');
  try {
    const value = await fn();
    await tx.query('release savepoint gatehouse_sync_entry');
    return { ok: true, value };
  } catch (error) {
    if (!(error instanceof GatehouseError)) throw error;
    await tx.query('rollback to savepoint gatehouse_sync_entry');
    await tx.query('release savepoint gatehouse_sync_entry');
    return { ok: false, error };
  }
}
