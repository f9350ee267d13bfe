import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import { effectiveGroups } from '../../src/directory/members.ts';
import { findUser, type User } from '../../src/directory/users.ts';
import type { RevocationView } from '../../src/revocation/types.ts';
import type { Queryable } from '../../src/store/db.ts';
import { type CheckDeps, checkDirectoryUser } from '../../src/sync/check.ts';

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

/** What the provider hands findAccount with a code, refresh or access token. */
interface PresentedToken {
  iat?: number;
  kind?: string;
  grantId?: string;
}

export interface TokenChecks {
  /** This node's revocation set (user, ended grant; stale → refused: fail closed). */
  revocation: RevocationView;
  /** A refresh re-reads a directory user's entry, as sign-in does (src/sync/check.ts). */
  directory: CheckDeps;
}

/** Whether a token presented for `user` may still be used. */
async function tokenStillGood(checks: TokenChecks, user: User, token: PresentedToken): Promise<boolean> {
  const revoked = checks.revocation.check({
    userId: user.id,
    issuedAt: (token.iat ?? 0) * 1000,
    ...(token.grantId ? { sessionId: token.grantId } : {}),
  });
  if (revoked !== undefined) return false;
  if (token.kind !== 'RefreshToken') return true;
  // Someone disabled in the directory cannot refresh even before the next sync notices (the check
  // disables them in Gatehouse too); a directory that cannot answer refuses (fail closed).
  const checked = await checkDirectoryUser(checks.directory, user);
  return checked.status === 'active' || checked.status === 'not_directory';
}

/**
 * The provider's view of a person: only active users exist for it, so a disabled or deprovisioned
 * user gets no code, no token, and no refresh; a token issued before the user's `valid_after`, of
 * an ended grant, or presented to a node whose revocation set is stale finds no account either (the
 * provider answers invalid_grant / invalid_token); a refresh also re-checks a directory user.
 */
export function accountFinder(db: Queryable, checks?: TokenChecks) {
  return async (
    _ctx: KoaContextWithOIDC,
    sub: string,
    token?: PresentedToken,
  ): Promise<Account | undefined> => {
    const user = await findUser(db, sub);
    if (user?.status !== 'active' || issuedBeforeValidAfter(user, token)) return undefined;
    if (token && checks && !(await tokenStillGood(checks, user, token))) return undefined;
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
