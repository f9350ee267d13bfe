import { setTimeout as sleep } from 'node:timers/promises';
import type { Isolation } from './db.ts';
import { isRetryable } from './errors.ts';

export const DEFAULT_ATTEMPTS = 5;

/** Runs one transaction attempt after another while the database asks for a retry. */
export async function withRetry<T>(attempts: number, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= attempts || !isRetryable(error)) throw error;
      // Jittered exponential back-off so that the transactions that collided do not collide again.
      await sleep(Math.random() * 5 * 2 ** n);
    }
  }
}

export function beginStatement(isolation: Isolation | undefined): string {
  return isolation ? `begin isolation level ${isolation}` : 'begin';
}
