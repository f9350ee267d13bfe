import { GatehouseError } from '../../src/errors.ts';

/** The stable code of the GatehouseError a promise rejects with (anything else fails the test). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatehouseError) return error.code;
    throw error;
  }
  throw new Error('expected a GatehouseError');
}
