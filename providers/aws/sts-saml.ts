import { createHash, timingSafeEqual } from 'node:crypto';
import { requireApplicationAccess } from '../../src/apps/access.ts';
import { type Application, findSamlApplication } from '../../src/apps/apps.ts';
import { persistentNameId } from '../../src/apps/name-id.ts';
import { NAME_ID_FORMAT_URNS } from '../../src/apps/saml-settings.ts';
import { AWS_ATTRIBUTES } from '../../src/apps/templates.ts';
import type { AuditContext } from '../../src/audit/audit.ts';
import { findUserByName } from '../../src/directory/users.ts';
import { isGatehouseError } from '../../src/errors.ts';
import { publishedCredentials } from '../saml/certificates.ts';
import { idpEndpoints } from '../saml/entities.ts';
import { AwsError } from './errors.ts';
import type { SamlAssertionFacts } from './saml-assertion.ts';
import type { SamlInput, SamlResult } from './sts.ts';
import { issueFor, type StsDeps } from './sts-backend.ts';

const invalid = (message: string) => new AwsError('InvalidIdentityToken', 400, message);
const denied = () => new AwsError('AccessDenied', 403, 'Not authorized to perform sts:AssumeRoleWithSAML');
const MFA_CONTEXT = 'https://refeds.org/profile/mfa';

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** SubjectType as AWS reports it: the short name of the two SAML 2.0 formats, else the URN. */
function subjectType(format: string): string {
  if (format === NAME_ID_FORMAT_URNS.persistent) return 'persistent';
  if (format === NAME_ID_FORMAT_URNS.transient) return 'transient';
  return format;
}

/**
 * AssumeRoleWithSAML for responses of Gatehouse's own IdP made with the AWS template. The person
 * is the user the signed RoleSessionName attribute names (the template's `userName` mode); when the
 * application uses persistent NameIDs (the template's default) the NameID must also be the one
 * Gatehouse derives for that user id, so a renamed or recreated account is not mistaken for the
 * one the assertion was issued to. Replays: like AWS, an assertion may be exchanged again until its
 * NotOnOrAfter (five minutes after issue); every exchange goes through the issuer's checks again.
 */
export async function assumeRoleWithSaml(
  deps: StsDeps,
  input: SamlInput,
  context: AuditContext,
): Promise<SamlResult> {
  const entityId = idpEndpoints(deps.baseUrl).entityId;
  const certificates = publishedCredentials(deps.keys, entityId).map((c) => c.certificate);
  // samlify and the WebAssembly validator load on first use, as the SAML routes do.
  const { readSignedSamlResponse } = await import('./saml-assertion.ts');
  const facts = await readSignedSamlResponse(input.samlResponse, certificates);
  if (facts.issuer !== entityId) throw invalid('the SAML assertion was not issued by this Gatehouse');
  const now = Date.now();
  if (facts.notBefore !== undefined && facts.notBefore - deps.clockSkewMs > now)
    throw invalid('the SAML assertion is not valid yet');
  if (facts.notOnOrAfter + deps.clockSkewMs <= now)
    throw new AwsError('ExpiredTokenException', 400, 'Token expired');

  const app = await awsApplication(deps, facts);
  const recipient = facts.recipients.find((r) => app.saml.acs.some((acs) => acs.url === r));
  if (!recipient) throw invalid('the SAML assertion is addressed to another recipient');
  const pairs = (facts.attributes.get(AWS_ATTRIBUTES.role) ?? []).map((v) =>
    v.split(',').map((p) => p.trim()),
  );
  if (
    !pairs.some(
      (p) =>
        p.length === 2 &&
        p.includes(input.roleArn) &&
        p.includes(input.principalArn) &&
        input.roleArn !== input.principalArn,
    )
  )
    throw denied();
  if (!/^arn:aws:iam::[\w-]{1,64}:saml-provider\/[\w.-]{1,128}$/.test(input.principalArn)) throw denied();

  const sessionName = facts.attributes.get(AWS_ATTRIBUTES.roleSessionName) ?? [];
  if ((app.saml.aws?.roleSessionName ?? 'userName') !== 'userName' || sessionName.length !== 1)
    throw invalid('this application names sessions by email; STS needs roleSessionName: userName');
  const user = await findUserByName(deps.db, sessionName[0]!);
  if (user?.status !== 'active') throw denied();
  if (
    facts.nameIdFormat === NAME_ID_FORMAT_URNS.persistent &&
    !sameText(facts.nameId, persistentNameId(deps.persistentNameIdKey, app.id, user.id))
  )
    throw denied();
  const revoked = deps.revocation.check({ userId: user.id, issuedAt: facts.issueInstant });
  if (revoked === 'stale') throw new AwsError('ServiceUnavailable', 503, 'Try again shortly.');
  if (revoked !== undefined) throw new AwsError('ExpiredTokenException', 400, 'Token is no longer valid');
  try {
    await requireApplicationAccess(deps.db, { ...context, actor: `user:${user.id}` }, app, user.id, 'sts');
  } catch (error) {
    if (isGatehouseError(error) && error.kind === 'forbidden') throw denied();
    throw error;
  }
  const issued = await issueFor(
    deps,
    { userId: user.id, roleArn: input.roleArn, mfa: facts.authnContexts.includes(MFA_CONTEXT) },
    context,
    denied,
  );
  const provider = input.principalArn.slice(input.principalArn.indexOf('/') + 1);
  return {
    credentials: issued.credentials,
    assumedRoleId: issued.assumedRoleId,
    arn: issued.arn,
    subject: facts.nameId,
    subjectType: subjectType(facts.nameIdFormat),
    issuer: facts.issuer,
    audience: recipient,
    // AWS: base64(SHA1(Issuer + account id + "/" + SAML provider name)).
    nameQualifier: createHash('sha1')
      .update(`${facts.issuer}${issued.accountId}/${provider}`)
      .digest('base64'),
  };
}

/** The AWS-template SAML application the assertion is for (its audience). */
async function awsApplication(
  deps: StsDeps,
  facts: SamlAssertionFacts,
): Promise<Application & { saml: NonNullable<Application['saml']> }> {
  for (const audience of facts.audiences) {
    const app = await findSamlApplication(deps.db, audience);
    if (app?.saml?.template === 'aws') return app as Application & { saml: NonNullable<Application['saml']> };
  }
  throw invalid('the SAML assertion is not for an AWS application of this Gatehouse');
}
