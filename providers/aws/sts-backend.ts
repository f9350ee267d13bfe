import { findPermissionSetByName } from '../../src/access/permission-sets.ts';
import type { AuditContext } from '../../src/audit/audit.ts';
import type { CredentialIssuer } from '../../src/credentials/issue.ts';
import { type AccessVerifier, principalArn } from '../../src/credentials/verifier.ts';
import { findUser } from '../../src/directory/users.ts';
import { isGatehouseError } from '../../src/errors.ts';
import { verifyJwt } from '../../src/keys/jwt.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import type { RevocationView } from '../../src/revocation/types.ts';
import type { Db } from '../../src/store/db.ts';
import { AwsError } from './errors.ts';
import type { StsBackend, StsCredentials } from './sts.ts';
import { assumeRoleWithSaml } from './sts-saml.ts';

export interface StsDeps {
  db: Db;
  keys: KeyRing;
  revocation: RevocationView;
  verifier: AccessVerifier;
  issuer: CredentialIssuer;
  /** The OpenID provider's issuer: ID tokens from anyone else are refused. */
  issuerUrl: string;
  /** Whether ID tokens of this client (`aud`) may be exchanged for credentials. */
  trustedAudience(clientId: string): Promise<boolean>;
  /** Gatehouse's base URL: the SAML IdP's entity ID and certificates derive from it. */
  baseUrl: string;
  /** The key persistent SAML NameIDs are derived with (the SAML front door's). */
  persistentNameIdKey: Buffer;
  clockSkewMs: number;
}

/** `arn:aws:iam::ACCOUNT:role/PERMISSION_SET`: the role of a permission set in an account. */
const ROLE_ARN = /^arn:aws:iam::([\w-]{1,64}):role\/([\w+=,.@-]{1,64})$/;

const invalidToken = (message: string) => new AwsError('InvalidIdentityToken', 400, message);
const denied = () =>
  new AwsError('AccessDenied', 403, 'Not authorized to perform sts:AssumeRoleWithWebIdentity');

/** /aws/sts onto the credential verifier (GetCallerIdentity) and issuer (AssumeRoleWithWebIdentity). */
export function stsBackend(deps: StsDeps): StsBackend {
  return {
    callerIdentity(request) {
      const result = deps.verifier.authenticate(request);
      if (!result.ok) throw new AwsError(result.code, result.status, result.message);
      if (result.service !== 'sts')
        throw new AwsError(
          'SignatureDoesNotMatch',
          403,
          "Credential should be scoped to correct service: 'sts'.",
        );
      const { principal } = result;
      return {
        UserId: `${principal.permissionSetId}:${principal.userName}`,
        Account: principal.accountId,
        Arn: principal.arn,
      };
    },
    async assumeRoleWithWebIdentity(input, context) {
      let claims: ReturnType<typeof verifyJwt>;
      try {
        claims = verifyJwt(deps.keys, input.webIdentityToken, deps.issuerUrl);
      } catch (error) {
        if (isGatehouseError(error) && error.code === 'jwt.expired')
          throw new AwsError('ExpiredTokenException', 400, 'Token expired');
        if (isGatehouseError(error))
          throw invalidToken(`The web identity token is not valid: ${error.message}`);
        throw error;
      }
      const audience = Array.isArray(claims.aud) ? claims.aud[0]! : claims.aud;
      if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== undefined) {
        if (!claims.aud.includes(claims.azp)) throw invalidToken('The web identity token has a bad azp');
      }
      if (!(await deps.trustedAudience(claims.azp ?? audience)))
        throw invalidToken('ID tokens of this client cannot be exchanged for credentials');
      const issuedAt = (claims.iat ?? 0) * 1000;
      const revoked = deps.revocation.check({ userId: claims.sub, issuedAt });
      if (revoked === 'stale') throw new AwsError('ServiceUnavailable', 503, 'Try again shortly.');
      if (revoked !== undefined) throw new AwsError('ExpiredTokenException', 400, 'Token is no longer valid');
      const issued = await issueFor(
        deps,
        { userId: claims.sub, roleArn: input.roleArn, mfa: (claims.amr ?? []).some((m) => MFA_AMR.has(m)) },
        context,
        denied,
      );
      return {
        ...issued,
        subject: claims.sub,
        provider: deps.issuerUrl,
        audience,
      };
    },
    assumeRoleWithSaml: (input, context) => assumeRoleWithSaml(deps, input, context),
  };
}

const MFA_AMR = new Set(['mfa', 'otp', 'hwk']);

/**
 * Credentials for `userId` in the role `roleArn` names, through the credential issuer (which checks
 * the user is active, not root, and assigned). Shared by both AssumeRoleWith* actions.
 */
export async function issueFor(
  deps: Pick<StsDeps, 'db' | 'issuer'>,
  who: { userId: string; roleArn: string; mfa: boolean },
  context: AuditContext,
  denied: () => AwsError,
): Promise<{ credentials: StsCredentials; assumedRoleId: string; arn: string; accountId: string }> {
  const role = ROLE_ARN.exec(who.roleArn);
  if (!role)
    throw new AwsError('ValidationError', 400, 'RoleArn must be arn:aws:iam::ACCOUNT:role/PERMISSION_SET');
  const [, accountId, setName] = role as unknown as [string, string, string];
  const set = await findPermissionSetByName(deps.db, setName);
  if (!set) throw denied();
  let issued: Awaited<ReturnType<CredentialIssuer['issue']>>;
  try {
    issued = await deps.issuer.issue(
      { userId: who.userId, accountId, permissionSetId: set.id, mfa: who.mfa },
      { ...context, actor: `user:${who.userId}` },
    );
  } catch (error) {
    if (isGatehouseError(error) && (error.kind === 'forbidden' || error.kind === 'not_found')) throw denied();
    throw error;
  }
  // The session name in the ARN is always the user name (as GetCallerIdentity reports it for
  // these credentials): RoleSessionName is the caller's choice and cannot pose as someone else.
  const userName = (await findUser(deps.db, who.userId))?.userName ?? who.userId;
  return {
    credentials: {
      AccessKeyId: issued.AccessKeyId,
      SecretAccessKey: issued.SecretAccessKey,
      SessionToken: issued.SessionToken,
      Expiration: issued.Expiration,
    },
    assumedRoleId: `${set.id}:${userName}`,
    arn: principalArn(accountId, set.name, userName),
    accountId,
  };
}
