import type { IdpEndpoints } from './entities.ts';
import { newMessageId } from './entities.ts';
import { STATUS } from './response.ts';

const xml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/**
 * Tells an SP that the person's session ended (SAML core §3.7.1): at their own request (`user`),
 * or because an administrator or the directory revoked them (`admin`, SAML core §3.7.3.3).
 */
export function logoutRequestXml(
  endpoints: IdpEndpoints,
  destination: string,
  subject: { nameId: string; format: string; spEntityId: string; sessionIndex: string },
  reason: 'user' | 'admin' = 'user',
  now = new Date(),
): { id: string; xml: string } {
  const id = newMessageId();
  return {
    id,
    xml:
      `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${now.toISOString()}" Destination="${xml(destination)}" Reason="urn:oasis:names:tc:SAML:2.0:logout:${reason}">` +
      `<saml:Issuer>${xml(endpoints.entityId)}</saml:Issuer>` +
      `<saml:NameID Format="${xml(subject.format)}" SPNameQualifier="${xml(subject.spEntityId)}">${xml(subject.nameId)}</saml:NameID>` +
      `<samlp:SessionIndex>${xml(subject.sessionIndex)}</samlp:SessionIndex></samlp:LogoutRequest>`,
  };
}

/** The answer to an SP's LogoutRequest. */
export function logoutResponseXml(
  endpoints: IdpEndpoints,
  destination: string,
  inResponseTo: string,
  code: string = STATUS.success,
  now = new Date(),
): string {
  return (
    `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newMessageId()}" Version="2.0" IssueInstant="${now.toISOString()}" Destination="${xml(destination)}" InResponseTo="${xml(inResponseTo)}">` +
    `<saml:Issuer>${xml(endpoints.entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="${code}"/></samlp:Status></samlp:LogoutResponse>`
  );
}
