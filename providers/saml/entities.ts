import { randomBytes } from 'node:crypto';
import * as samlify from 'samlify';
import type { SamlSettings } from '../../src/apps/saml-settings.ts';
import { NAME_ID_FORMAT_URNS } from '../../src/apps/saml-settings.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import { currentCredential, pemCertificate, publishedCredentials } from './certificates.ts';
import { installSchemaValidator } from './schema.ts';

const { BindingNamespace, algorithms, elementsOrder } = samlify.Constants;

export const SIGNATURE_ALGORITHMS = {
  'rsa-sha256': algorithms.signature.RSA_SHA256,
  'rsa-sha512': algorithms.signature.RSA_SHA512,
  'rsa-sha1': algorithms.signature.RSA_SHA1,
} as const;
export const SHA1_URIS = new Set([algorithms.signature.RSA_SHA1, 'http://www.w3.org/2000/09/xmldsig#sha1']);

export interface IdpEndpoints {
  entityId: string;
  sso: string;
  slo: string;
}

export const idpEndpoints = (baseUrl: string): IdpEndpoints => ({
  entityId: `${baseUrl}/saml/metadata`,
  sso: `${baseUrl}/saml/sso`,
  slo: `${baseUrl}/saml/slo`,
});

export const newMessageId = () => `_${randomBytes(20).toString('hex')}`;

function services(location: string) {
  return [
    { Binding: BindingNamespace.Redirect, Location: location },
    { Binding: BindingNamespace.Post, Location: location },
  ];
}

/**
 * The IdP as samlify sees it, for one exchange with one SP: signing with the current RS256 key,
 * verifying the SP's requests when `verifyRequests`, encrypting when the SP asks for it. Metadata
 * elements in schema order (samlify's default order is out of schema once logout is configured).
 */
export function idpEntity(
  keys: KeyRing,
  endpoints: IdpEndpoints,
  options: { sp?: SamlSettings; verifyRequests?: boolean; metadata?: boolean } = {},
): samlify.IdentityProviderInstance {
  const key = JSON.stringify([
    options.metadata ? keys.verificationKeys('RS256').map((k) => k.kid) : keys.signingKey('RS256').kid,
    endpoints,
    options.sp?.signatureAlgorithm,
    options.sp?.encryptAssertion,
    options.verifyRequests,
    options.metadata,
  ]);
  return memo(idpCache, key, () => buildIdpEntity(keys, endpoints, options));
}

// samlify builds (and parses) a metadata document for every entity it constructs, ~30 ms each:
// entities are kept, keyed by everything they are built from (a key rotation or a settings
// change makes a new key). Bounded: cleared when it grows past the limit.
const idpCache = new Map<string, samlify.IdentityProviderInstance>();
const spCache = new Map<string, samlify.ServiceProviderInstance>();
const CACHE_LIMIT = 1000;
function memo<T>(cache: Map<string, T>, key: string, build: () => T): T {
  let found = cache.get(key);
  if (!found) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    found = build();
    cache.set(key, found);
  }
  return found;
}

function buildIdpEntity(
  keys: KeyRing,
  endpoints: IdpEndpoints,
  options: { sp?: SamlSettings; verifyRequests?: boolean; metadata?: boolean },
): samlify.IdentityProviderInstance {
  installSchemaValidator();
  const current = currentCredential(keys, endpoints.entityId);
  const certificates = options.metadata
    ? publishedCredentials(keys, endpoints.entityId).map((c) => pemCertificate(c.certificate))
    : pemCertificate(current.certificate);
  return samlify.IdentityProvider({
    entityID: endpoints.entityId,
    privateKey: current.privateKey as unknown as string, // a KeyObject: see certificates.ts
    signingCert: certificates,
    singleSignOnService: services(endpoints.sso),
    singleLogoutService: services(endpoints.slo),
    nameIDFormat: Object.values(NAME_ID_FORMAT_URNS),
    wantAuthnRequestsSigned: options.verifyRequests ?? false,
    requestSignatureAlgorithm: SIGNATURE_ALGORITHMS[options.sp?.signatureAlgorithm ?? 'rsa-sha256'],
    isAssertionEncrypted: options.sp?.encryptAssertion ?? false,
    dataEncryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
    keyEncryptionAlgorithm: algorithms.encryption.key.RSA_OAEP_MGF1P,
    messageSigningOrder: 'encrypt-then-sign',
    generateID: newMessageId,
    elementsOrder: elementsOrder.idp.shibboleth,
  } as Parameters<typeof samlify.IdentityProvider>[0]);
}

/** A registered SP as samlify sees it (built from the stored settings, never from the request). */
export function spEntity(settings: SamlSettings): samlify.ServiceProviderInstance {
  return memo(spCache, JSON.stringify(settings), () => buildSpEntity(settings));
}

function buildSpEntity(settings: SamlSettings): samlify.ServiceProviderInstance {
  installSchemaValidator();
  return samlify.ServiceProvider({
    entityID: settings.entityId,
    assertionConsumerService: settings.acs.map((acs) => ({
      Binding: BindingNamespace.Post,
      Location: acs.url,
    })),
    singleLogoutService: settings.slo
      ? [
          {
            Binding: settings.slo.binding === 'post' ? BindingNamespace.Post : BindingNamespace.Redirect,
            Location: settings.slo.url,
          },
        ]
      : [],
    signingCert: settings.signingCertificates.map(pemCertificate),
    ...(settings.encryptionCertificate
      ? { encryptCert: pemCertificate(settings.encryptionCertificate) }
      : {}),
    authnRequestsSigned: settings.requireSignedRequests,
    wantAssertionsSigned: settings.signAssertion,
    wantMessageSigned: settings.signResponse,
    nameIDFormat: Object.values(NAME_ID_FORMAT_URNS),
  });
}

/** The IdP metadata document: entity ID, SSO and SLO for both bindings, every published certificate. */
export function idpMetadata(keys: KeyRing, endpoints: IdpEndpoints): string {
  return idpEntity(keys, endpoints, { metadata: true }).getMetadata();
}
