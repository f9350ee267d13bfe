import { z } from 'zod';
import type { Queryable } from '../store/db.ts';
import { PROFILE_MULTI, PROFILE_NAME_PARTS, PROFILE_STRINGS } from './schemas.ts';

/**
 * SCIM user attributes without a directory column (title, locale, phoneNumbers, addresses, …),
 * stored as sent, within bounds. Unknown keys are dropped by the schema (never stored).
 */
const short = z.string().max(1024);
const multiValue = (subs: readonly string[]) =>
  z
    .object(
      Object.fromEntries(subs.map((s) => [s, s === 'primary' ? z.boolean().optional() : short.optional()])),
    )
    .strip();

export const profileSchema = z
  .object({
    ...Object.fromEntries(PROFILE_STRINGS.map((n) => [n, short.optional()])),
    name: z
      .object(Object.fromEntries(PROFILE_NAME_PARTS.map((n) => [n, short.optional()])))
      .strip()
      .optional(),
    ...Object.fromEntries(
      Object.entries(PROFILE_MULTI).map(([n, subs]) => [n, z.array(multiValue(subs)).max(20).optional()]),
    ),
  })
  .strip();
export type Profile = Record<string, unknown>;

export async function readProfiles(q: Queryable, userIds: string[]): Promise<Map<string, ProfileRow>> {
  if (userIds.length === 0) return new Map();
  const { rows } = await q.query<{ user_id: string; data: Profile; revision: number }>(
    'select user_id, data, revision from scim_user_profiles where user_id = any($1::uuid[])',
    [userIds],
  );
  return new Map(rows.map((r) => [r.user_id, { data: r.data, revision: r.revision }]));
}

export interface ProfileRow {
  data: Profile;
  revision: number;
}

/** Writes a user's profile when it differs from what is stored; returns the stored row. */
export async function writeProfile(
  tx: Queryable,
  userId: string,
  current: ProfileRow | undefined,
  data: Profile,
): Promise<ProfileRow> {
  if (current && sameJson(current.data, data)) return current;
  const { rows } = await tx.query<{ data: Profile; revision: number }>(
    `insert into scim_user_profiles (user_id, data, revision) values ($1, $2, 0)
     on conflict (user_id) do update set data = excluded.data, revision = scim_user_profiles.revision + 1
     returning data, revision`,
    [userId, data],
  );
  return rows[0]!;
}

/** Order-insensitive for object keys (jsonb reorders them), order-sensitive for arrays. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
