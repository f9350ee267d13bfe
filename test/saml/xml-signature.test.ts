import { generateKeyPairSync } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, test } from 'vitest';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { currentCredential, pemCertificate } from '../../providers/saml/certificates.ts';
import { idpEndpoints } from '../../providers/saml/entities.ts';
import { logoutRequest, logoutResponse } from '../../providers/saml/logout-messages.ts';
import { signedMessage } from '../../providers/saml/outbound.ts';
import {
  type Addressee,
  assertionElement,
  buildSamlResponse,
  errorResponse,
  type Grant,
  responseElement,
  STATUS,
} from '../../providers/saml/response.ts';
import { signEnveloped } from '../../providers/saml/xml-signature.ts';
import { canonicalise, scopeOf, serialise, type XmlElement } from '../../providers/saml/xml-tree.ts';
import { samlSettingsSchema } from '../../src/apps/saml-settings.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import { xmlsecVerifies } from './xmlsec.ts';

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = { kid: 'c14n-test', alg: 'RS256' as const, ...pair, activatesAt: new Date(0), retiresAt: null };
const keys = { signingKey: () => key, verificationKeys: () => [key] } as unknown as KeyRing;
const endpoints = idpEndpoints('https://id.example.com');
const credential = currentCredential(keys, endpoints.entityId);

const settings = (extra: Record<string, unknown> = {}) =>
  samlSettingsSchema.parse({
    entityId: 'https://sp.example.com',
    acs: [{ url: 'https://sp.example.com/acs' }],
    ...extra,
  });

const plain: Grant = {
  nameId: { value: 'alice@example.com', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
  attributes: { email: ['alice@example.com'], groups: ['platform', 'sre'] },
  authTime: new Date('2026-01-01T00:00:00Z'),
  mfa: true,
  sessionIndex: '_session',
  sessionNotOnOrAfter: new Date('2026-01-01T08:00:00Z'),
};
const tricky: Grant = {
  nameId: {
    value: 'a&b<c>d"e\'f\tg\nh\ri\r\nj ü 漢 😀 \u0001\u001f\ud800 (not XML characters)',
    format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  },
  attributes: {
    'we&ird <"name">\t\n\r\'': [
      'x & y < z > w " \' \t tab \n nl \r cr \r\n crlf',
      '',
      ' spaced  ',
      'ünïcödé 😀',
    ],
    'urn:oid:1.3.6.1.4.1.5923.1.1.1.7': Array.from({ length: 60 }, (_, i) => `group-${i} & <${i}>`),
    empty: [],
  },
  authTime: new Date('2026-01-01T00:00:00Z'),
  mfa: false,
  sessionIndex: '_s&"<>\t\n\r',
  sessionNotOnOrAfter: new Date('2026-01-01T08:00:00Z'),
};
const trickyTo: Addressee = {
  acsUrl: 'https://sp.example.com/acs?a=1&b="2"\t<3>\n\r',
  inResponseTo: '_r&<>"\'',
};
const plainTo: Addressee = { acsUrl: 'https://sp.example.com/acs', inResponseTo: undefined };

/** xml-crypto's exc-c14n over what a peer parses from the sent form. */
function xmlCrypto(sent: string, localName?: string): string {
  const doc = new DOMParser().parseFromString(sent, 'text/xml');
  const root = doc.documentElement!;
  const target = localName ? root.getElementsByTagNameNS('*', localName)[0]! : root;
  return new ExclusiveCanonicalization().process(target as unknown as Element, {});
}

function build(grant: Grant, to: Addressee, attributes?: Record<string, string[]>) {
  const s = settings();
  const assertion = assertionElement(
    endpoints,
    s,
    to,
    attributes ? { ...grant, attributes } : grant,
    new Date(),
  );
  const response = responseElement(
    endpoints,
    '_response',
    to,
    { code: STATUS.success },
    assertion,
    new Date(),
  );
  return { assertion, response, around: scopeOf(response, {}) };
}

describe('exclusive canonicalisation matches xml-crypto', () => {
  test.each([
    ['plain values', plain, plainTo, undefined],
    ['tricky values', tricky, trickyTo, undefined],
    ['no attributes', plain, plainTo, {}],
    ['an attribute with no values', plain, plainTo, { none: [] }],
  ])('%s: the assertion and the response, unsigned and signed', (_, grant, to, attributes) => {
    const { assertion, response, around } = build(grant, to, attributes);
    const check = () => {
      const sent = serialise(response);
      expect(canonicalise(response)).toBe(xmlCrypto(sent));
      expect(canonicalise(assertion, around)).toBe(xmlCrypto(sent, 'Assertion'));
    };
    check();
    signEnveloped(assertion, credential, 'rsa-sha256', around);
    check();
    signEnveloped(response, credential, 'rsa-sha512');
    check();
    // The signature's own SignedInfo, as a verifier canonicalises it.
    const signature = response.children[1] as XmlElement;
    const signedInfo = signature.children[0] as XmlElement;
    expect(canonicalise(signedInfo, scopeOf(signature, scopeOf(response, {})))).toBe(
      xmlCrypto(serialise(response), 'SignedInfo'),
    );
  });

  test('xs used only inside xsi:type values is not rendered; xsi is, on each AttributeValue', () => {
    const { assertion, around } = build(plain, plainTo);
    const c14n = canonicalise(assertion, around);
    expect(c14n).not.toContain('xmlns:xs=');
    expect(c14n).toContain(
      '<saml:AttributeValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">platform</saml:AttributeValue>',
    );
    expect(c14n.startsWith('<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID=')).toBe(
      true,
    );
  });
});

describe('xmlsec1 verifies every signed form', () => {
  const pem = pemCertificate(credential.certificate);
  const verify = (xml: string, signatureOf: string) => xmlsecVerifies(pem, xml, signatureOf);

  const combinations = [
    { signResponse: true, signAssertion: true },
    { signResponse: true, signAssertion: false },
    { signResponse: false, signAssertion: true },
  ];
  test.each(
    combinations.flatMap((c) => (['rsa-sha256', 'rsa-sha512'] as const).map((alg) => ({ ...c, alg }))),
  )('signResponse $signResponse, signAssertion $signAssertion, $alg', async ({ alg, ...signing }) => {
    for (const [grant, to] of [
      [plain, plainTo],
      [tricky, trickyTo],
    ] as const) {
      const app = { id: 'x', saml: settings({ ...signing, signatureAlgorithm: alg }) };
      const { base64 } = await buildSamlResponse(keys, endpoints, app, to, grant);
      const xml = Buffer.from(base64, 'base64').toString();
      expect(xml.match(/<ds:Signature /g)).toHaveLength(
        Number(signing.signResponse) + Number(signing.signAssertion),
      );
      expect(xml).toContain(`#rsa-${alg.slice(4)}"`);
      for (const [signed, of] of [
        [signing.signResponse, 'Response'],
        [signing.signAssertion, 'Assertion'],
      ] as const) {
        if (!signed) continue;
        expect(verify(xml, of)).toBe(true);
        // A changed attribute value (inside both signed elements) breaks the signature.
        expect(verify(xml.replace('>platform<', '>platforn<').replace('>group-1 ', '>group-2 '), of)).toBe(
          false,
        );
      }
    }
  });

  test.each(['rsa-sha256', 'rsa-sha512'] as const)(
    'POST-binding and back-channel messages (LogoutRequest, LogoutResponse, error Response), %s',
    (alg) => {
      const s = settings({ signatureAlgorithm: alg });
      const subject = { nameId: 'a&b <c>', format: 'urn:x', spEntityId: s.entityId, sessionIndex: '_s"\t' };
      for (const [name, element] of [
        [
          'LogoutRequest',
          logoutRequest(endpoints, 'https://sp.example.com/slo?a=1&b=2', subject, 'admin').element,
        ],
        ['LogoutResponse', logoutResponse(endpoints, 'https://sp.example.com/slo', '_r&<>')],
        [
          'Response',
          errorResponse(endpoints, trickyTo, {
            code: STATUS.responder,
            second: STATUS.noPassive,
            message: 'no & <passive>',
          }),
        ],
      ] as const) {
        const xml = signedMessage(keys, endpoints, s, element);
        expect(xml).toMatch(
          new RegExp(`^<samlp:${name} [^>]*><saml:Issuer>[^<]*</saml:Issuer><ds:Signature `),
        );
        expect(verify(xml, name)).toBe(true);
        expect(verify(xml.replace('https://sp.example.com/', 'https://sq.example.com/'), name)).toBe(false);
      }
    },
  );
});
