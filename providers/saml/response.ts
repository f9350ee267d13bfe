import type { Application } from '../../src/apps/apps.ts';
import type { NameId } from '../../src/apps/name-id.ts';
import type { SamlSettings } from '../../src/apps/saml-settings.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import { currentCredential } from './certificates.ts';
import { type IdpEndpoints, idpEntity, newMessageId, spEntity } from './entities.ts';
import { signEnveloped } from './xml-signature.ts';
import { el, scopeOf, serialise, type XmlElement } from './xml-tree.ts';

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

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';

/** The assertion for one sign-in, unsigned (exported for the canonicalisation tests). */
export function assertionElement(
  endpoints: IdpEndpoints,
  settings: SamlSettings,
  to: Addressee,
  grant: Grant,
  now: Date,
): XmlElement {
  const at = now.toISOString();
  const until = new Date(now.getTime() + ASSERTION_LIFETIME_MS).toISOString();
  const attributes = Object.entries(grant.attributes);
  return el(
    'saml:Assertion',
    { ID: newMessageId(), Version: '2.0', IssueInstant: at },
    [
      el('saml:Issuer', {}, [endpoints.entityId]),
      el('saml:Subject', {}, [
        el('saml:NameID', { Format: grant.nameId.format, SPNameQualifier: settings.entityId }, [
          grant.nameId.value,
        ]),
        el('saml:SubjectConfirmation', { Method: 'urn:oasis:names:tc:SAML:2.0:cm:bearer' }, [
          el('saml:SubjectConfirmationData', {
            NotOnOrAfter: until,
            Recipient: to.acsUrl,
            InResponseTo: to.inResponseTo || undefined,
          }),
        ]),
      ]),
      el('saml:Conditions', { NotBefore: at, NotOnOrAfter: until }, [
        el('saml:AudienceRestriction', {}, [el('saml:Audience', {}, [settings.entityId])]),
      ]),
      el(
        'saml:AuthnStatement',
        {
          AuthnInstant: grant.authTime.toISOString(),
          SessionIndex: grant.sessionIndex,
          SessionNotOnOrAfter: grant.sessionNotOnOrAfter.toISOString(),
        },
        [
          el('saml:AuthnContext', {}, [
            el('saml:AuthnContextClassRef', {}, [grant.mfa ? AUTHN_CONTEXT.mfa : AUTHN_CONTEXT.password]),
          ]),
        ],
      ),
      ...(attributes.length
        ? [
            el(
              'saml:AttributeStatement',
              {},
              attributes.map(([name, values]) =>
                el(
                  'saml:Attribute',
                  {
                    Name: name,
                    NameFormat: `urn:oasis:names:tc:SAML:2.0:attrname-format:${/^[a-z][a-z0-9+.-]*:/i.test(name) ? 'uri' : 'basic'}`,
                  },
                  values.map((v) => el('saml:AttributeValue', { 'xsi:type': 'xs:string' }, v ? [v] : [])),
                ),
              ),
            ),
          ]
        : []),
    ],
    { saml: SAML, xs: 'http://www.w3.org/2001/XMLSchema', xsi: 'http://www.w3.org/2001/XMLSchema-instance' },
  );
}

/** A Response around an assertion (a sign-in) or none (an error answer), unsigned. */
export function responseElement(
  endpoints: IdpEndpoints,
  id: string,
  to: Addressee,
  status: { code: string; second?: string | undefined; message?: string | undefined },
  assertion: XmlElement | undefined,
  now: Date,
): XmlElement {
  return el(
    'samlp:Response',
    {
      ID: id,
      Version: '2.0',
      IssueInstant: now.toISOString(),
      Destination: to.acsUrl,
      InResponseTo: to.inResponseTo || undefined,
    },
    [
      el('saml:Issuer', {}, [endpoints.entityId]),
      el('samlp:Status', {}, [
        el(
          'samlp:StatusCode',
          { Value: status.code },
          status.second ? [el('samlp:StatusCode', { Value: status.second })] : [],
        ),
        ...(status.message ? [el('samlp:StatusMessage', {}, [status.message])] : []),
      ]),
      ...(assertion ? [assertion] : []),
    ],
    { samlp: SAMLP, saml: SAML },
  );
}

/**
 * A signed (and, when the SP asks, encrypted) SAML Response for one sign-in, base64 for the
 * HTTP-POST binding. The assertion and/or the response are signed as the SP is configured, the
 * assertion first (the response's signature then covers it). Encryption goes through samlify,
 * which encrypts the assertion with the SP's certificate and then signs the response.
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
  const assertion = assertionElement(endpoints, settings, to, grant, now);
  const response = responseElement(endpoints, id, to, { code: STATUS.success }, assertion, now);
  if (settings.encryptAssertion) return encryptedResponse(keys, endpoints, settings, id, serialise(response));
  const credential = currentCredential(keys, endpoints.entityId);
  if (settings.signAssertion) {
    signEnveloped(assertion, credential, settings.signatureAlgorithm, scopeOf(response, {}));
  }
  if (settings.signResponse) signEnveloped(response, credential, settings.signatureAlgorithm);
  return { id, base64: Buffer.from(serialise(response)).toString('base64') };
}

async function encryptedResponse(
  keys: KeyRing,
  endpoints: IdpEndpoints,
  settings: SamlSettings,
  id: string,
  raw: string,
): Promise<{ id: string; base64: string }> {
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
export function errorResponse(
  endpoints: IdpEndpoints,
  to: Addressee,
  status: { code: string; second?: string; message?: string },
  now = new Date(),
): XmlElement {
  return responseElement(endpoints, newMessageId(), to, status, undefined, now);
}
