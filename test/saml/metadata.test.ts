import { describe, expect, test } from 'vitest';
import { pemCertificate } from '../../providers/saml/certificates.ts';
import { rotateKeys } from '../../src/keys/keyring.ts';
import { fetchRaw, formFields, useSamlServer } from './support.ts';
import { xmlsecVerifies } from './xmlsec.ts';

const certificates = (xml: string) =>
  [...xml.matchAll(/<(?:ds:)?X509Certificate>([^<]+)</g)].map((m) => m[1]!.replace(/\s+/g, ''));

describe('SAML IdP metadata and signatures checked by xmlsec1', () => {
  const idp = useSamlServer('pglite');

  test('metadata: entity ID, SSO and SLO for both bindings, elements in schema order', async () => {
    const res = await fetchRaw(`${idp.server.url}/saml/metadata`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/samlmetadata+xml');
    const xml = res.text;
    expect(xml).toContain(`entityID="${idp.endpoints.entityId}"`);
    for (const service of ['SingleSignOnService', 'SingleLogoutService'])
      for (const binding of ['HTTP-Redirect', 'HTTP-POST'])
        expect(xml).toMatch(
          new RegExp(`<(md:)?${service} [^>]*Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}"`),
        );
    const at = (name: string) => xml.search(new RegExp(`<(md:)?${name}[ >]`));
    // saml-schema-metadata-2.0: KeyDescriptor, SingleLogoutService, NameIDFormat, SingleSignOnService
    expect(at('KeyDescriptor')).toBeLessThan(at('SingleLogoutService'));
    expect(at('SingleLogoutService')).toBeLessThan(at('NameIDFormat'));
    expect(at('NameIDFormat')).toBeLessThan(at('SingleSignOnService'));
    expect(certificates(xml)).toEqual([idp.idpCertPem().replace(/-----[A-Z ]+-----|\s/g, '')]);
  });

  test.each([
    [
      'response',
      { signResponse: true, signAssertion: false },
      'urn:oasis:names:tc:SAML:2.0:protocol:Response',
    ],
    [
      'assertion',
      { signResponse: false, signAssertion: true },
      'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
    ],
  ])(
    'xmlsec1 --verify accepts the signed %s with the metadata certificate, and refuses a changed one',
    async (name, signing) => {
      const user = await idp.user(`x-${name}`);
      const app = await idp.app(
        `xmlsec ${name}`,
        {
          entityId: `https://xmlsec-${name}.test`,
          acs: [{ url: `https://xmlsec-${name}.test/acs` }],
          ...signing,
        },
        { userId: user.id },
      );
      const page = await fetchRaw(`${idp.server.url}/saml/apps/${app.id}/start`, {
        cookie: idp.sessions.signIn(user.id),
      });
      const xml = Buffer.from(formFields(page.text).fields['SAMLResponse']!, 'base64').toString();
      // Before any rotation the metadata has one certificate: the signing one.
      const metadata = (await fetchRaw(`${idp.server.url}/saml/metadata`)).text;
      const pem = pemCertificate(certificates(metadata)[0]!);
      const verify = (doc: string) => xmlsecVerifies(pem, doc);
      expect(verify(xml)).toBe(true);
      expect(verify(xml.replace(`x-${name}@example.com`, 'root@example.com'))).toBe(false);
    },
  );

  test('a staged key’s certificate is published before it signs', async () => {
    const { runtime } = idp.server;
    const before = certificates((await fetchRaw(`${idp.server.url}/saml/metadata`)).text);
    await rotateKeys(runtime.db, runtime.masterKey, {
      overlapMs: 86_400_000,
      activateInMs: 86_400_000,
      algs: ['RS256'],
    });
    await runtime.keys.reload();
    const after = certificates((await fetchRaw(`${idp.server.url}/saml/metadata`)).text);
    expect(after).toHaveLength(2);
    expect(after).toEqual(expect.arrayContaining(before));
    // Still signing with the current key.
    expect(idp.idpCertPem().replace(/-----[A-Z ]+-----|\s/g, '')).toBe(before[0]);
  });
});
