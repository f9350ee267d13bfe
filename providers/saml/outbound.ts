import { sign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { SamlSettings } from '../../src/apps/saml-settings.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import { currentCredential } from './certificates.ts';
import { type IdpEndpoints, SIGNATURE_ALGORITHMS } from './entities.ts';
import { DIGESTS, signEnveloped } from './xml-signature.ts';
import { serialise, type XmlElement } from './xml-tree.ts';

/** A message on its way to an SP: a URL to redirect to, or a form to post. */
export type Delivery =
  | { kind: 'redirect'; url: string }
  | { kind: 'post'; action: string; fields: Record<string, string> };

/**
 * Signs and encodes a protocol message for an SP. Redirect: deflated, base64, with a detached
 * signature over `SAMLx=…&RelayState=…&SigAlg=…` (SAML bindings §3.4.4.1). POST: an enveloped
 * signature after the Issuer.
 */
export function deliver(
  keys: KeyRing,
  endpoints: IdpEndpoints,
  settings: SamlSettings,
  message: { param: 'SAMLRequest' | 'SAMLResponse'; element: XmlElement; relayState?: string | undefined },
  to: { url: string; binding: 'redirect' | 'post' },
): Delivery {
  const alg = settings.signatureAlgorithm;
  if (to.binding === 'redirect') {
    const credential = currentCredential(keys, endpoints.entityId);
    const parts = [
      `${message.param}=${encodeURIComponent(deflateRawSync(Buffer.from(serialise(message.element))).toString('base64'))}`,
    ];
    if (message.relayState) parts.push(`RelayState=${encodeURIComponent(message.relayState)}`);
    parts.push(`SigAlg=${encodeURIComponent(SIGNATURE_ALGORITHMS[alg])}`);
    const octets = parts.join('&');
    const signature = sign(DIGESTS[alg].node, Buffer.from(octets), credential.privateKey).toString('base64');
    const url = new URL(to.url);
    return {
      kind: 'redirect',
      url: `${to.url}${url.search ? '&' : '?'}${octets}&Signature=${encodeURIComponent(signature)}`,
    };
  }
  const signed = Buffer.from(signedMessage(keys, endpoints, settings, message.element)).toString('base64');
  return {
    kind: 'post',
    action: to.url,
    fields: { [message.param]: signed, ...(message.relayState ? { RelayState: message.relayState } : {}) },
  };
}

/**
 * The message with an enveloped signature after its Issuer, by the IdP's current key, serialised
 * (POST binding, and the SOAP back channel, where the message itself must be signed: SAML
 * bindings §3.2.3).
 */
export function signedMessage(
  keys: KeyRing,
  endpoints: IdpEndpoints,
  settings: SamlSettings,
  element: XmlElement,
): string {
  signEnveloped(element, currentCredential(keys, endpoints.entityId), settings.signatureAlgorithm);
  return serialise(element);
}
