import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import { effectiveGroups } from '../../src/directory/members.ts';
import { findUser, type User } from '../../src/directory/users.ts';
import type { Queryable } from '../../src/store/db.ts';

/** Scopes and the claims they release (the provider filters what a client asked for and was granted). */
export const CLAIMS = {
  // With the subject: how and when the person signed in (from the portal session).
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'preferred_username', 'given_name', 'family_name'],
  email: ['email', 'email_verified'],
  groups: ['groups'],
};

/** `builtin` groups by name; directory groups as `CONNECTOR/NAME`, as in the state file. */
const groupName = (g: { name: string; source: string }) =>
  g.source.startsWith('ldap:') ? `${g.source.slice(5)}/${g.name}` : g.name;

/** Everything issued before this instant is void (`valid_after`, e.g. after a password reset). */
function issuedBeforeValidAfter(user: User, token: { iat?: number } | undefined): boolean {
  // `iat` has second precision: a token of the same second as valid_after passes.
  return token?.iat !== undefined && token.iat < Math.floor(user.validAfter.getTime() / 1000);
}

/**
 * The provider's view of a person: only active users exist for it, so a disabled or deprovisioned
 * user gets no code, no token, and no refresh; a token issued before the user's `valid_after`
 * finds no account either (the provider answers invalid_grant / invalid_token).
 */
export function accountFinder(db: Queryable) {
  return async (
    _ctx: KoaContextWithOIDC,
    sub: string,
    token?: { iat?: number },
  ): Promise<Account | undefined> => {
    const user = await findUser(db, sub);
    if (user?.status !== 'active' || issuedBeforeValidAfter(user, token)) return undefined;
    return {
      accountId: user.id,
      async claims(_use, scope) {
        const scopes = new Set(scope.split(' '));
        const email = user.emails.find((e) => e.primary) ?? user.emails[0];
        const name =
          user.displayName ?? ([user.givenName, user.familyName].filter(Boolean).join(' ') || user.userName);
        return {
          sub: user.id,
          preferred_username: user.userName,
          name,
          ...(user.givenName ? { given_name: user.givenName } : {}),
          ...(user.familyName ? { family_name: user.familyName } : {}),
          // Addresses are set by the directory (an administrator, LDAP, SCIM), not by the person.
          ...(email ? { email: email.value, email_verified: true } : {}),
          ...(scopes.has('groups') ? { groups: (await effectiveGroups(db, user.id)).map(groupName) } : {}),
        };
      },
    };
  };
}
