import { isAdministrator } from '../auth/mfa/policy.ts';
import type { User } from '../directory/users.ts';
import type { Queryable } from '../store/db.ts';
import type { Scope } from '../tokens/scopes.ts';

/**
 * The admin API scopes a person may hold in an OAuth access token: everything for administrators
 * (members, directly or nested, of the `administrators.group` setting), nothing for anyone else.
 * Never for root (which may hold no programmatic credential) nor for a user who is not active.
 * Checked when the token is granted and again on every use, so leaving the group ends it at once.
 */
export async function personApiScopes(
  q: Queryable,
  user: User,
  administratorsGroup: string,
): Promise<Scope[]> {
  if (user.isRoot || user.status !== 'active') return [];
  return (await isAdministrator(q, user, administratorsGroup)) ? ['admin'] : [];
}

/** The requested scopes a person may be granted, given what they hold (`admin` covers all). */
export function allowedApiScopes(requested: readonly string[], held: readonly Scope[]): string[] {
  if (held.includes('admin')) return [...requested];
  return requested.filter((s) => held.includes(s as Scope));
}
