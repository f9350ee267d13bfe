import type { IdpEndpoints } from './entities.ts';
import { newMessageId } from './entities.ts';
import { STATUS } from './response.ts';
import { el, type XmlElement } from './xml-tree.ts';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

/**
 * Tells an SP that the person's session ended (SAML core §3.7.1): at their own request (`user`),
 * or because an administrator or the directory revoked them (`admin`, SAML core §3.7.3.3).
 */
export function logoutRequest(
  endpoints: IdpEndpoints,
  destination: string,
  subject: { nameId: string; format: string; spEntityId: string; sessionIndex: string },
  reason: 'user' | 'admin' = 'user',
  now = new Date(),
): { id: string; element: XmlElement } {
  const id = newMessageId();
  return {
    id,
    element: el(
      'samlp:LogoutRequest',
      {
        ID: id,
        Version: '2.0',
        IssueInstant: now.toISOString(),
        Destination: destination,
        Reason: `urn:oasis:names:tc:SAML:2.0:logout:${reason}`,
      },
      [
        el('saml:Issuer', {}, [endpoints.entityId]),
        el('saml:NameID', { Format: subject.format, SPNameQualifier: subject.spEntityId }, [subject.nameId]),
        el('samlp:SessionIndex', {}, [subject.sessionIndex]),
      ],
      { samlp: SAMLP, saml: SAML },
    ),
  };
}

/** The answer to an SP's LogoutRequest. */
export function logoutResponse(
  endpoints: IdpEndpoints,
  destination: string,
  inResponseTo: string,
  code: string = STATUS.success,
  now = new Date(),
): XmlElement {
  return el(
    'samlp:LogoutResponse',
    {
      ID: newMessageId(),
      Version: '2.0',
      IssueInstant: now.toISOString(),
      Destination: destination,
      InResponseTo: inResponseTo,
    },
    [
      el('saml:Issuer', {}, [endpoints.entityId]),
      el('samlp:Status', {}, [el('samlp:StatusCode', { Value: code })]),
    ],
    { samlp: SAMLP, saml: SAML },
  );
}
