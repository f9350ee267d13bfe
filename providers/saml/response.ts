import type { Application } from '../../src/apps/apps.ts';
import type { NameId } from '../../src/apps/name-id.ts';
import type { SamlSettings } from '../../src/apps/saml-settings.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import { type IdpEndpoints, idpEntity, newMessageId, spEntity } from './entities.ts';

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
  requestDenied: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
} as const;

export const AUTHN_CONTEXT = {
  password: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  mfa: 'https://refeds.org/profile/mfa',
} as const;

/** Everything one successful sign-in says about the person, already decided by the domain. */
export interface Grant {
  nameId: NameId;
  attributes: Record<string, string[]>;
  authTime: Date;
  mfa: boolean;
  sessionIndex: string;
  sessionNotOnOrAfter: Date;
}

export interface Addressee {
  acsUrl: string;
  /** The AuthnRequest's ID (absent for IdP-initiated sign-in). */
  inResponseTo: string | undefined;
}

/** How long the SP may accept the assertion after it is issued. */
const ASSERTION_LIFETIME_MS = 5 * 60_000;

const xml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

function assertionXml(
  endpoints: IdpEndpoints,
  settings: SamlSettings,
  to: Addressee,
  grant: Grant,
  now: Date,
): string {
  const at = now.toISOString();
  const until = new Date(now.getTime() + ASSERTION_LIFETIME_MS).toISOString();
  const inResponseTo = to.inResponseTo ? ` InResponseTo="${xml(to.inResponseTo)}"` : '';
  const attributes = Object.entries(grant.attributes);
  const attributeStatement = attributes.length
    ? `<saml:AttributeStatement>${attributes
        .map(
          ([name, values]) =>
            `<saml:Attribute Name="${xml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:${/^[a-z][a-z0-9+.-]*:/i.test(name) ? 'uri' : 'basic'}">${values
              .map((v) => `<saml:AttributeValue xsi:type="xs:string">${xml(v)}</saml:AttributeValue>`)
              .join('')}</saml:Attribute>`,
        )
        .join('')}</saml:AttributeStatement>`
    : '';
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="${newMessageId()}" Version="2.0" IssueInstant="${at}">` +
    `<saml:Issuer>${xml(endpoints.entityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${xml(grant.nameId.format)}" SPNameQualifier="${xml(settings.entityId)}">${xml(grant.nameId.value)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${xml(to.acsUrl)}"${inResponseTo}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${at}" NotOnOrAfter="${until}"><saml:AudienceRestriction><saml:Audience>${xml(settings.entityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${grant.authTime.toISOString()}" SessionIndex="${xml(grant.sessionIndex)}" SessionNotOnOrAfter="${grant.sessionNotOnOrAfter.toISOString()}"><saml:AuthnContext><saml:AuthnContextClassRef>${grant.mfa ? AUTHN_CONTEXT.mfa : AUTHN_CONTEXT.password}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    attributeStatement +
    '</saml:Assertion>'
  );
}

function responseXml(
  endpoints: IdpEndpoints,
  id: string,
  to: Addressee,
  status: { code: string; second?: string | undefined; message?: string | undefined },
  assertion: string,
  now: Date,
): string {
  const inResponseTo = to.inResponseTo ? ` InResponseTo="${xml(to.inResponseTo)}"` : '';
  const statusCode = status.second
    ? `<samlp:StatusCode Value="${status.code}"><samlp:StatusCode Value="${status.second}"/></samlp:StatusCode>`
    : `<samlp:StatusCode Value="${status.code}"/>`;
  const message = status.message ? `<samlp:StatusMessage>${xml(status.message)}</samlp:StatusMessage>` : '';
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${now.toISOString()}" Destination="${xml(to.acsUrl)}"${inResponseTo}>` +
    `<saml:Issuer>${xml(endpoints.entityId)}</saml:Issuer><samlp:Status>${statusCode}${message}</samlp:Status>${assertion}</samlp:Response>`
  );
}

/**
 * A signed (and, when the SP asks, encrypted) SAML Response for one sign-in, base64 for the
 * HTTP-POST binding. samlify signs the assertion and/or the response as the SP is configured and
 * encrypts the assertion with the SP's certificate before signing the response.
 */
export async function buildSamlResponse(
  keys: KeyRing,
  endpoints: IdpEndpoints,
  app: Pick<Application, 'id'> & { saml: SamlSettings },
  to: Addressee,
  grant: Grant,
  now = new Date(),
): Promise<{ id: string; base64: string }> {
  const settings = app.saml;
  const id = newMessageId();
  const raw = responseXml(
    endpoints,
    id,
    to,
    { code: STATUS.success },
    assertionXml(endpoints, settings, to, grant, now),
    now,
  );
  const idp = idpEntity(keys, endpoints, { sp: settings });
  const sp = spEntity(settings);
  const result = await idp.createLoginResponse(
    sp,
    { extract: {} },
    'post',
    {},
    {
      customTagReplacement: () => ({ id, context: raw }),
      encryptThenSign: true,
    },
  );
  return { id, base64: result.context };
}

/** An error answer (NoPassive, RequestDenied, …) to a verified request: no assertion; outbound.ts signs it. */
export function errorResponseXml(
  endpoints: IdpEndpoints,
  to: Addressee,
  status: { code: string; second?: string; message?: string },
  now = new Date(),
): string {
  return responseXml(endpoints, newMessageId(), to, status, '', now);
}
