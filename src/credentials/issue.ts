import { randomUUID } from 'node:crypto';
import { effectiveAccess } from '../access/assignments.ts';
import { isoDurationSeconds } from '../access/schemas.ts';
import { type AuditContext, audit } from '../audit/audit.ts';
import { findUser, userTarget } from '../directory/users.ts';
import { GatehouseError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import {
  createDerivedKeys,
  type DerivedKeys,
  mintCredentials,
  type SealingKeySource,
} from './session-token.ts';

export interface CredentialRequest {
  userId: string;
  accountId: string;
  permissionSetId: string;
  /** Whether the user's sign-in included a second factor: aws:MultiFactorAuthPresent. */
  mfa: boolean;
  /** aws:SourceIdentity, when the caller sets one (e.g. the portal session's user name). */
  sourceIdentity?: string;
  /**
   * The session the credentials were obtained through (portal session id, OIDC grant id): ending
   * it kills them on every node. Without one they get a session of their own.
   */
  sessionId?: string;
}

/** What STS answers: the names AWS uses, so the portal and the wire APIs can pass it on as is. */
export interface IssuedCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  /** ISO-8601: now + the permission set's session duration. */
  Expiration: string;
  sessionId: string;
  /** The permission set version the credentials carry. */
  permissionSetVersion: number;
}

export interface CredentialIssuer {
  issue(request: CredentialRequest, context: AuditContext): Promise<IssuedCredentials>;
}

/**
 * Issues short-lived credentials for an assignment the user holds now (directly or through any
 * group). Refused: unknown, disabled or deprovisioned users, the root administrator (never), and
 * an (account, permission set) the user is not assigned. Every issue is audited; the secret never is.
 */
export function createCredentialIssuer(
  db: Db,
  keys: SealingKeySource,
  options: { now?: () => number; observe?: (outcome: string) => void } = {},
): CredentialIssuer {
  const derived: DerivedKeys = createDerivedKeys(keys);
  const now = options.now ?? Date.now;
  const observe = options.observe ?? (() => {});
  return {
    async issue(request, context) {
      try {
        const issued = await issueOnce(db, derived, request, context, now());
        observe('issued');
        return issued;
      } catch (error) {
        observe(error instanceof GatehouseError ? error.code : 'error');
        throw error;
      }
    },
  };
}

const refuse = (code: string, message: string) => new GatehouseError('forbidden', code, message);

async function issueOnce(
  db: Db,
  keys: DerivedKeys,
  request: CredentialRequest,
  context: AuditContext,
  at: number,
): Promise<IssuedCredentials> {
  const user = await findUser(db, request.userId);
  if (!user) throw new GatehouseError('not_found', 'directory.user_not_found', `no user ${request.userId}`);
  const refused = async (code: string, message: string) => {
    await db.transaction((tx) =>
      audit(tx, context, {
        action: 'credentials.issue',
        target: userTarget(user.id),
        outcome: 'denied',
        details: { accountId: request.accountId, permissionSetId: request.permissionSetId, reason: code },
      }),
    );
    return refuse(code, message);
  };
  if (user.isRoot)
    throw await refused('credentials.root', 'the root administrator can never obtain credentials');
  if (user.status !== 'active')
    throw await refused('credentials.user_inactive', `user ${user.id} is ${user.status}`);
  const held = (await effectiveAccess(db, user.id)).find(
    (a) => a.accountId === request.accountId && a.permissionSetId === request.permissionSetId,
  );
  if (!held) {
    throw await refused(
      'credentials.not_assigned',
      `user ${user.userName} is not assigned permission set ${request.permissionSetId} in account ${request.accountId}`,
    );
  }
  const sessionId = request.sessionId ?? randomUUID();
  const expiresAt = at + (isoDurationSeconds(held.sessionDuration) ?? 3600) * 1000;
  const minted = mintCredentials(keys, {
    userId: user.id,
    userName: user.userName,
    accountId: held.accountId,
    permissionSetId: held.permissionSetId,
    permissionSetVersion: held.permissionSetVersion,
    sessionId,
    issuedAt: at,
    expiresAt,
    mfa: request.mfa,
    ...(request.sourceIdentity !== undefined ? { sourceIdentity: request.sourceIdentity } : {}),
    tags: user.attributes,
  });
  await db.transaction((tx) =>
    audit(tx, context, {
      action: 'credentials.issue',
      target: userTarget(user.id),
      details: {
        accountId: held.accountId,
        permissionSetId: held.permissionSetId,
        permissionSetVersion: held.permissionSetVersion,
        sessionId,
        accessKeyId: minted.accessKeyId,
        keyId: minted.kid,
        expiresAt: new Date(expiresAt).toISOString(),
        mfa: request.mfa,
      },
    }),
  );
  return {
    AccessKeyId: minted.accessKeyId,
    SecretAccessKey: minted.secretAccessKey,
    SessionToken: minted.sessionToken,
    Expiration: new Date(expiresAt).toISOString(),
    sessionId,
    permissionSetVersion: held.permissionSetVersion,
  };
}
