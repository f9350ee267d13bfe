import { effectiveGroups } from '../directory/members.ts';
import type { User } from '../directory/users.ts';
import type { Queryable } from '../store/db.ts';
import type { Scope } from '../tokens/scopes.ts';

/** Members (direct or nested) of this built-in group may obtain admin API scopes by signing in. */
export const ADMIN_GROUP = 'gatehouse-admins';

/**
 * The admin API scopes a person may hold in an OAuth access token: everything for members of the
 * built-in `gatehouse-admins` group, nothing for anyone else. Never for root (which may hold no
 * programmatic credential) nor for a user who is not active. Checked when the token is granted and
 * again on every use, so leaving the group ends the access at once.
 */
export async function personApiScopes(q: Queryable, user: User): Promise<Scope[]> {
  if (user.isRoot || user.status !== 'active') return [];
  const groups = await effectiveGroups(q, user.id);
  return groups.some((g) => g.source === 'builtin' && g.name.toLowerCase() === ADMIN_GROUP) ? ['admin'] : [];
}

/** The requested scopes a person may be granted, given what they hold (`admin` covers all). */
export function allowedApiScopes(requested: readonly string[], held: readonly Scope[]): string[] {
  if (held.includes('admin')) return [...requested];
  return requested.filter((s) => held.includes(s as Scope));
}
