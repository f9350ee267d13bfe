// The business rule that keeps a directory fault from emptying Gatehouse: a run applies what it
// would disable or deprovision only when that is a plausible share of the connector's users, or
// when an administrator confirmed that much.
import type { Destructive } from './types.ts';

export type Decision =
  | { apply: true; by: 'nothing' | 'threshold' | 'confirmation' }
  | { apply: false; percent: number };

/**
 * `base` is the number of the connector's users that are not deprovisioned; `maxPercent` is the
 * connector's maxDeprovisionPercent. Exactly the limit is allowed; more is held.
 */
export function decide(
  planned: Destructive,
  base: number,
  maxPercent: number,
  allowance?: Destructive,
): Decision {
  const total = planned.disable + planned.deprovision;
  if (total === 0) return { apply: true, by: 'nothing' };
  if (total * 100 <= maxPercent * base) return { apply: true, by: 'threshold' };
  if (allowance && planned.disable <= allowance.disable && planned.deprovision <= allowance.deprovision)
    return { apply: true, by: 'confirmation' };
  return { apply: false, percent: base > 0 ? Math.round((total * 1000) / base) / 10 : 100 };
}
