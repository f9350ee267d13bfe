import { createHash, sign } from 'node:crypto';
import type { SamlSettings } from '../../src/apps/saml-settings.ts';
import type { SamlSigningCredential } from './certificates.ts';
import { SIGNATURE_ALGORITHMS } from './entities.ts';
import { canonicalise, el, type NamespaceScope, scopeOf, type XmlElement } from './xml-tree.ts';

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/** Each signature algorithm's hash, and the digest its References use (SHA-1 only with rsa-sha1). */
export const DIGESTS = {
  'rsa-sha256': { node: 'sha256', uri: 'http://www.w3.org/2001/04/xmlenc#sha256' },
  'rsa-sha512': { node: 'sha512', uri: 'http://www.w3.org/2001/04/xmlenc#sha512' },
  'rsa-sha1': { node: 'sha1', uri: 'http://www.w3.org/2000/09/xmldsig#sha1' },
} as const;

/**
 * Signs `element` (a SAML Response, Assertion, LogoutRequest, …) in place with an enveloped XML
 * signature (xmldsig core §6.6.4): a Reference to its ID with the enveloped-signature and exc-c14n
 * transforms, the SignedInfo canonicalised with exc-c14n and signed with the credential's key,
 * KeyInfo carrying its certificate; the Signature goes right after the Issuer, where the SAML
 * schema puts it. `around` is the namespace scope of the element's parent (none for the root).
 * The digest covers the element as it is now, so sign inner elements (the assertion) first.
 */
export function signEnveloped(
  element: XmlElement,
  credential: SamlSigningCredential,
  algorithm: SamlSettings['signatureAlgorithm'],
  around: NamespaceScope = {},
): void {
  const id = element.attributes.find((a) => !a.prefix && a.name === 'ID')?.value;
  if (!id) throw new Error(`${element.name} has no ID to sign`);
  const issuer = element.children.findIndex((c) => typeof c !== 'string' && c.name === 'Issuer');
  if (issuer < 0) throw new Error(`${element.name} has no Issuer to put the signature after`);
  const digest = DIGESTS[algorithm];
  const digestValue = createHash(digest.node).update(canonicalise(element, around)).digest('base64');
  const signedInfo = el('ds:SignedInfo', {}, [
    el('ds:CanonicalizationMethod', { Algorithm: EXC_C14N }),
    el('ds:SignatureMethod', { Algorithm: SIGNATURE_ALGORITHMS[algorithm] }),
    el('ds:Reference', { URI: `#${id}` }, [
      el('ds:Transforms', {}, [
        el('ds:Transform', { Algorithm: ENVELOPED }),
        el('ds:Transform', { Algorithm: EXC_C14N }),
      ]),
      el('ds:DigestMethod', { Algorithm: digest.uri }),
      el('ds:DigestValue', {}, [digestValue]),
    ]),
  ]);
  const signature = el(
    'ds:Signature',
    {},
    [
      signedInfo,
      el('ds:SignatureValue', {}, []),
      el('ds:KeyInfo', {}, [el('ds:X509Data', {}, [el('ds:X509Certificate', {}, [credential.certificate])])]),
    ],
    { ds: DSIG },
  );
  // SignedInfo's scope is the Signature's, inside the element.
  const signatureScope = scopeOf(signature, scopeOf(element, around));
  const value = sign(
    digest.node,
    Buffer.from(canonicalise(signedInfo, signatureScope)),
    credential.privateKey,
  );
  (signature.children[1] as XmlElement).children.push(value.toString('base64'));
  element.children.splice(issuer + 1, 0, signature);
}
