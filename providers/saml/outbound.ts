import { sign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import * as samlify from 'samlify';
import type { SamlSettings } from '../../src/apps/saml-settings.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import { currentCredential } from './certificates.ts';
import { type IdpEndpoints, SIGNATURE_ALGORITHMS } from './entities.ts';

/** A message on its way to an SP: a URL to redirect to, or a form to post. */
export type Delivery =
  | { kind: 'redirect'; url: string }
  | { kind: 'post'; action: string; fields: Record<string, string> };

const NODE_HASH = { 'rsa-sha256': 'sha256', 'rsa-sha512': 'sha512', 'rsa-sha1': 'sha1' } as const;

/**
 * Signs and encodes a protocol message for an SP. Redirect: deflated, base64, with a detached
 * signature over `SAMLx=…&RelayState=…&SigAlg=…` (SAML bindings §3.4.4.1). POST: an enveloped
 * signature after the Issuer.
 */
export function deliver(
  keys: KeyRing,
  endpoints: IdpEndpoints,
  settings: SamlSettings,
  message: { param: 'SAMLRequest' | 'SAMLResponse'; xml: string; relayState?: string | undefined },
  to: { url: string; binding: 'redirect' | 'post' },
): Delivery {
  const alg = settings.signatureAlgorithm;
  if (to.binding === 'redirect') {
    const credential = currentCredential(keys, endpoints.entityId);
    const parts = [
      `${message.param}=${encodeURIComponent(deflateRawSync(Buffer.from(message.xml)).toString('base64'))}`,
    ];
    if (message.relayState) parts.push(`RelayState=${encodeURIComponent(message.relayState)}`);
    parts.push(`SigAlg=${encodeURIComponent(SIGNATURE_ALGORITHMS[alg])}`);
    const octets = parts.join('&');
    const signature = sign(NODE_HASH[alg], Buffer.from(octets), credential.privateKey).toString('base64');
    const url = new URL(to.url);
    return {
      kind: 'redirect',
      url: `${to.url}${url.search ? '&' : '?'}${octets}&Signature=${encodeURIComponent(signature)}`,
    };
  }
  const signed = Buffer.from(signEnveloped(keys, endpoints, settings, message.xml)).toString('base64');
  return {
    kind: 'post',
    action: to.url,
    fields: { [message.param]: signed, ...(message.relayState ? { RelayState: message.relayState } : {}) },
  };
}

/**
 * An enveloped signature after the message's Issuer, with the IdP's current key (POST binding,
 * and the SOAP back channel, where the message itself must be signed: SAML bindings §3.2.3).
 */
export function signEnveloped(
  keys: KeyRing,
  endpoints: IdpEndpoints,
  settings: SamlSettings,
  xml: string,
): string {
  const credential = currentCredential(keys, endpoints.entityId);
  const root = /^<(?:\w+:)?(\w+)/.exec(xml)?.[1] ?? 'Response';
  return samlify.SamlLib.constructSAMLSignature({
    rawSamlMessage: xml,
    isMessageSigned: true,
    // samlify types the key as a PEM string; a KeyObject is what crypto.sign takes underneath.
    privateKey: credential.privateKey as unknown as string,
    signingCert: credential.certificate,
    signatureAlgorithm: SIGNATURE_ALGORITHMS[settings.signatureAlgorithm],
    isBase64Output: false,
    signatureConfig: {
      prefix: 'ds',
      location: { reference: `/*[local-name(.)='${root}']/*[local-name(.)='Issuer']`, action: 'after' },
    },
  } as Parameters<typeof samlify.SamlLib.constructSAMLSignature>[0]);
}
