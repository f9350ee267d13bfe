import { findAccount } from '../../src/access/accounts.ts';
import { effectiveAccess } from '../../src/access/assignments.ts';
import { findPermissionSetByName } from '../../src/access/permission-sets.ts';
import type { AuditContext } from '../../src/audit/audit.ts';
import type { CredentialIssuer, IssuedCredentials } from '../../src/credentials/issue.ts';
import { isGatehouseError } from '../../src/errors.ts';
import type { Db } from '../../src/store/db.ts';
import { ssoError } from './json.ts';
import type { SsoBackend, SsoSession } from './sso.ts';

/** How a bearer token is checked and ended: by the OpenID provider that issued it (oidc-bridge.ts). */
export interface BearerTokens {
  session(token: string): Promise<SsoSession | undefined>;
  revoke(session: SsoSession, context: AuditContext): Promise<void>;
}

const NO_ACCESS = () => ssoError('ForbiddenException', 'No access');

/** /aws/sso onto effective access and the credential issuer. */
export function ssoBackend(db: Db, tokens: BearerTokens, issuer: CredentialIssuer): SsoBackend {
  return {
    session: (token) => tokens.session(token),
    async accounts(session) {
      const seen = new Map<string, { accountId: string; accountName: string; emailAddress?: string }>();
      for (const access of await effectiveAccess(db, session.userId)) {
        if (seen.has(access.accountId)) continue;
        const account = await findAccount(db, access.accountId);
        seen.set(access.accountId, {
          accountId: access.accountId,
          accountName: access.accountName,
          ...(account?.email ? { emailAddress: account.email } : {}),
        });
      }
      return [...seen.values()];
    },
    async roles(session, accountId) {
      return (await effectiveAccess(db, session.userId))
        .filter((a) => a.accountId === accountId)
        .map((a) => a.permissionSetName);
    },
    async credentials(session, accountId, roleName, context) {
      // The issuer checks that the person holds the set in the account (and audits a refusal).
      const set = await findPermissionSetByName(db, roleName);
      if (!set) throw NO_ACCESS();
      let issued: IssuedCredentials;
      try {
        issued = await issuer.issue(
          {
            userId: session.userId,
            accountId,
            permissionSetId: set.id,
            mfa: session.mfa,
            // Ending the grant (logout, revocation) kills these credentials too.
            ...(session.grantId ? { sessionId: session.grantId } : {}),
          },
          context,
        );
      } catch (error) {
        // Not assigned, not active, root: AWS says no more than "No access".
        if (isGatehouseError(error) && error.kind === 'forbidden') throw NO_ACCESS();
        throw error;
      }
      return {
        accessKeyId: issued.AccessKeyId,
        secretAccessKey: issued.SecretAccessKey,
        sessionToken: issued.SessionToken,
        expiration: Date.parse(issued.Expiration),
      };
    },
    logout: (session, context) => tokens.revoke(session, context),
  };
}
