import { generateServiceProviderMetadata } from '@node-saml/node-saml';
import { describe, expect, test } from 'vitest';
import { settingsFromSpMetadata } from '../../providers/saml/sp-metadata.ts';
import { samlSettingsSchema } from '../../src/apps/saml-settings.ts';
import { codeOf } from '../support/errors.ts';
import { spKeys } from './support.ts';

describe('importing SP metadata', () => {
  test('node-saml SP metadata becomes settings: entity ID, ACS, SLO, certificates, NameID format', () => {
    const keys = spKeys('https://meta.test');
    const xml = generateServiceProviderMetadata({
      issuer: 'https://meta.test',
      callbackUrl: 'https://meta.test/acs',
      logoutCallbackUrl: 'https://meta.test/slo',
      identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      publicCerts: keys.certificatePem,
      decryptionCert: keys.certificatePem,
      decryptionPvk: keys.privateKeyPem,
      privateKey: keys.privateKeyPem,
      wantAssertionsSigned: true,
    });
    const settings = samlSettingsSchema.parse(settingsFromSpMetadata(xml));
    expect(settings).toMatchObject({
      entityId: 'https://meta.test',
      acs: [{ url: 'https://meta.test/acs', binding: 'post' }],
      slo: { url: 'https://meta.test/slo' },
      nameIdFormat: 'persistent',
      signingCertificates: [keys.certificate],
      encryptionCertificate: keys.certificate,
      requireSignedRequests: true,
      signAssertion: true,
    });
  });

  test('a SingleLogoutService with the SOAP binding becomes the back-channel logout URL', () => {
    const xml = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://soap.test">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="https://soap.test/slo/soap"/>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://soap.test/slo/post"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://soap.test/acs" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`;
    const settings = samlSettingsSchema.parse(settingsFromSpMetadata(xml));
    expect(settings.backchannelLogoutUrl).toBe('https://soap.test/slo/soap');
    expect(settings.slo).toEqual({ url: 'https://soap.test/slo/post', binding: 'post' });
    expect(samlSettingsSchema.safeParse({ ...settings, backchannelLogoutUrl: 'ftp://x' }).success).toBe(
      false,
    );
  });

  test('not metadata, or metadata with a DTD, is refused with a stable code', async () => {
    expect(await codeOf(Promise.resolve().then(() => settingsFromSpMetadata('<a/>')))).toBe(
      'saml.invalid_metadata',
    );
    expect(
      await codeOf(
        Promise.resolve().then(() => settingsFromSpMetadata('<!DOCTYPE a [<!ENTITY x "y">]><a/>')),
      ),
    ).toBe('saml.dtd_refused');
  });
});
