import { DOMParser } from '@xmldom/xmldom';
import type { NameIdFormat, SamlSettingsInput } from '../../src/apps/saml-settings.ts';
import { NAME_ID_FORMAT_URNS } from '../../src/apps/saml-settings.ts';
import { GatehouseError } from '../../src/errors.ts';
import { screenXml } from './xml-screen.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const SOAP = 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP';

type Node = ReturnType<DOMParser['parseFromString']>['documentElement'];

const invalid = (message: string) => new GatehouseError('invalid', 'saml.invalid_metadata', message);

const children = (parent: Node, ns: string, name: string): Node[] =>
  Array.from(parent.getElementsByTagNameNS(ns, name)) as unknown as Node[];

/**
 * What an SP's metadata says, as settings: entity ID, POST assertion consumer services, the
 * logout endpoints (front channel, and SOAP back channel), certificates by use, the NameID format it asks for and its signing wishes.
 * The administrator's own settings (attributes, template…) are merged over this by the caller.
 */
export function settingsFromSpMetadata(xml: string): SamlSettingsInput {
  screenXml(xml);
  let root: Node | null;
  try {
    root = new DOMParser({ errorHandler: () => {} }).parseFromString(xml, 'text/xml').documentElement;
  } catch {
    root = null;
  }
  if (!root || root.namespaceURI !== MD || root.localName !== 'EntityDescriptor')
    throw invalid('expected SAML metadata with one EntityDescriptor');
  const entityId = root.getAttribute('entityID');
  const sso = children(root, MD, 'SPSSODescriptor')[0];
  if (!entityId || !sso) throw invalid('the metadata has no entityID or no SPSSODescriptor');

  const acs = children(sso, MD, 'AssertionConsumerService')
    .filter((e) => e.getAttribute('Binding') === POST)
    .map((e) => ({
      url: e.getAttribute('Location') ?? '',
      binding: 'post' as const,
      ...(e.hasAttribute('index') ? { index: Number(e.getAttribute('index')) } : {}),
      ...(e.getAttribute('isDefault') === 'true' ? { isDefault: true } : {}),
    }));
  if (acs.length === 0) throw invalid('the SP has no AssertionConsumerService with the HTTP-POST binding');

  const slos = children(sso, MD, 'SingleLogoutService');
  const slo =
    slos.find((e) => e.getAttribute('Binding') === REDIRECT) ??
    slos.find((e) => e.getAttribute('Binding') === POST);
  const soapSlo = slos.find((e) => e.getAttribute('Binding') === SOAP)?.getAttribute('Location');

  const certificates = (use: 'signing' | 'encryption') =>
    children(sso, MD, 'KeyDescriptor')
      .filter((k) => !k.getAttribute('use') || k.getAttribute('use') === use)
      .flatMap((k) => children(k, DS, 'X509Certificate'))
      .map((c) => (c.textContent ?? '').replace(/\s+/g, ''))
      .filter(Boolean);

  const formats = children(sso, MD, 'NameIDFormat').map((e) => (e.textContent ?? '').trim());
  const byUrn = new Map(Object.entries(NAME_ID_FORMAT_URNS).map(([k, v]) => [v, k as NameIdFormat]));
  const nameIdFormat = formats.map((f) => byUrn.get(f)).find((f) => f !== undefined);
  const encryption = certificates('encryption')[0];

  return {
    entityId,
    acs,
    ...(slo
      ? {
          slo: {
            url: slo.getAttribute('Location') ?? '',
            binding: slo.getAttribute('Binding') === POST ? 'post' : 'redirect',
          },
        }
      : {}),
    ...(soapSlo ? { backchannelLogoutUrl: soapSlo } : {}),
    ...(nameIdFormat ? { nameIdFormat } : {}),
    signingCertificates: certificates('signing').slice(0, 4),
    ...(encryption ? { encryptionCertificate: encryption } : {}),
    requireSignedRequests: sso.getAttribute('AuthnRequestsSigned') === 'true',
    ...(sso.getAttribute('WantAssertionsSigned') === 'true' ? { signAssertion: true } : {}),
  };
}
