import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { pemCertificate } from '../saml/certificates.ts';
import { validateSamlXml } from '../saml/schema.ts';
import { AwsError } from './errors.ts';

// Reads a Gatehouse-issued samlp:Response for AssumeRoleWithSAML. Everything read comes from the
// XML that the signature covers (xml-crypto's signed reference, re-parsed), never from the
// document around it, and a document with signatures or assertions anywhere but the two places
// Gatehouse puts them is refused: signature wrapping has nowhere to hide.

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const SHA1 = /#(rsa-)?sha1$/;

type Element = NonNullable<ReturnType<DOMParser['parseFromString']>['documentElement']>;

/** What a verified assertion says, as text; the STS backend decides what it means. */
export interface SamlAssertionFacts {
  issuer: string;
  audiences: string[];
  recipients: string[];
  nameId: string;
  nameIdFormat: string;
  notBefore: number | undefined;
  notOnOrAfter: number;
  issueInstant: number;
  attributes: Map<string, string[]>;
  /** AuthnContextClassRef of each AuthnStatement. */
  authnContexts: string[];
}

const invalid = (message: string) => new AwsError('InvalidIdentityToken', 400, message);

function parse(xml: string): Element {
  let failed = false;
  const doc = new DOMParser({
    errorHandler: { warning: () => {}, error: () => (failed = true), fatalError: () => (failed = true) },
  }).parseFromString(xml, 'text/xml');
  if (failed || !doc.documentElement) throw invalid('the SAML response is not well-formed XML');
  return doc.documentElement as Element;
}

const children = (parent: Element, ns: string, name: string): Element[] =>
  Array.from(parent.childNodes as unknown as ArrayLike<Element>).filter(
    (n) => n.nodeType === 1 && n.namespaceURI === ns && n.localName === name,
  );
const all = (root: Element, name: string): Element[] =>
  Array.from(root.getElementsByTagNameNS('*', name) as unknown as ArrayLike<Element>);

function one(parent: Element, ns: string, name: string): Element {
  const found = children(parent, ns, name);
  if (found.length !== 1) throw invalid(`the SAML assertion needs exactly one ${name}`);
  return found[0]!;
}

function instant(text: string | null, what: string): number {
  const value = Date.parse(text ?? '');
  if (!text || !Number.isFinite(value)) throw invalid(`the SAML assertion has no valid ${what}`);
  return value;
}

/**
 * Verifies the signature with each certificate (bare base64 DER) in turn; the KeyInfo the document
 * carries is ignored. Returns the canonical XML the signature covers, or undefined.
 */
function verifiedContent(
  xml: string,
  signature: Element,
  owner: Element,
  certs: string[],
): string | undefined {
  const references = all(signature, 'Reference').filter((r) => r.namespaceURI === DSIG);
  const id = owner.getAttribute('ID');
  if (references.length !== 1 || !id || references[0]!.getAttribute('URI') !== `#${id}`) return undefined;
  const method = all(signature, 'SignatureMethod')[0]?.getAttribute('Algorithm') ?? '';
  const digest = all(signature, 'DigestMethod')[0]?.getAttribute('Algorithm') ?? '';
  if (SHA1.test(method) || SHA1.test(digest)) return undefined;
  for (const cert of certs) {
    const verifier = new SignedXml({ publicCert: pemCertificate(cert), getCertFromKeyInfo: () => null });
    try {
      verifier.loadSignature(signature as unknown as Node);
      if (verifier.checkSignature(xml)) return verifier.getSignedReferences()[0];
    } catch {}
  }
  return undefined;
}

/**
 * The facts of a signed Gatehouse SAML response: schema-valid, Success, one plain (unencrypted)
 * assertion directly in the response, signed (response or assertion) by one of `certificates`.
 */
export async function readSignedSamlResponse(
  xml: string,
  certificates: string[],
): Promise<SamlAssertionFacts> {
  try {
    await validateSamlXml(xml);
  } catch (error) {
    throw invalid(`the SAML response is not valid: ${(error as Error).message}`);
  }
  const root = parse(xml);
  if (root.namespaceURI !== PROTOCOL || root.localName !== 'Response')
    throw invalid('SAMLAssertion must be a samlp:Response');
  if (all(root, 'EncryptedAssertion').length)
    throw invalid('encrypted assertions cannot be used with STS; turn assertion encryption off');
  const assertions = all(root, 'Assertion');
  const assertion = children(root, ASSERTION, 'Assertion');
  if (assertions.length !== 1 || assertion.length !== 1)
    throw invalid('the SAML response must hold exactly one assertion');
  // Every element ID once: a reference must name one element, not whichever a resolver finds first.
  const ids = Array.from(root.getElementsByTagName('*') as unknown as ArrayLike<Element>)
    .map((e) => e.getAttribute('ID'))
    .filter(Boolean);
  if (new Set(ids).size !== ids.length) throw invalid('the SAML response repeats an ID');
  const signatures = all(root, 'Signature');
  const placed = [...children(root, DSIG, 'Signature'), ...children(assertion[0]!, DSIG, 'Signature')];
  if (signatures.length !== placed.length || placed.length === 0)
    throw invalid('the SAML response is not signed where Gatehouse signs it');

  let signed: Element | undefined;
  for (const signature of placed) {
    const owner = signature.parentNode as Element;
    const content = verifiedContent(xml, signature, owner, certificates);
    if (content === undefined) continue;
    const element = parse(content);
    signed = element.localName === 'Assertion' ? element : children(element, ASSERTION, 'Assertion')[0];
    if (signed) break;
  }
  if (!signed) throw invalid('the SAML response is not signed by this Gatehouse');
  const status = one(one(root, PROTOCOL, 'Status'), PROTOCOL, 'StatusCode');
  if (status.getAttribute('Value') !== SUCCESS) throw invalid('the SAML response is not a success');

  const subject = one(signed, ASSERTION, 'Subject');
  const nameId = one(subject, ASSERTION, 'NameID');
  const conditions = one(signed, ASSERTION, 'Conditions');
  const confirmations = children(subject, ASSERTION, 'SubjectConfirmation').flatMap((c) =>
    children(c, ASSERTION, 'SubjectConfirmationData'),
  );
  const attributes = new Map<string, string[]>();
  for (const statement of children(signed, ASSERTION, 'AttributeStatement'))
    for (const attribute of children(statement, ASSERTION, 'Attribute'))
      attributes.set(
        attribute.getAttribute('Name') ?? '',
        children(attribute, ASSERTION, 'AttributeValue').map((v) => v.textContent ?? ''),
      );
  const subjectUntil = confirmations.map((c) => instant(c.getAttribute('NotOnOrAfter'), 'NotOnOrAfter'));
  return {
    issuer: one(signed, ASSERTION, 'Issuer').textContent?.trim() ?? '',
    audiences: children(conditions, ASSERTION, 'AudienceRestriction').flatMap((r) =>
      children(r, ASSERTION, 'Audience').map((a) => a.textContent?.trim() ?? ''),
    ),
    recipients: confirmations.map((c) => c.getAttribute('Recipient') ?? ''),
    nameId: nameId.textContent?.trim() ?? '',
    nameIdFormat: nameId.getAttribute('Format') ?? '',
    notBefore: conditions.hasAttribute('NotBefore')
      ? instant(conditions.getAttribute('NotBefore'), 'NotBefore')
      : undefined,
    notOnOrAfter: Math.min(instant(conditions.getAttribute('NotOnOrAfter'), 'NotOnOrAfter'), ...subjectUntil),
    issueInstant: instant(signed.getAttribute('IssueInstant'), 'IssueInstant'),
    attributes,
    authnContexts: children(signed, ASSERTION, 'AuthnStatement').flatMap((a) =>
      children(a, ASSERTION, 'AuthnContext').flatMap((c) =>
        children(c, ASSERTION, 'AuthnContextClassRef').map((r) => r.textContent?.trim() ?? ''),
      ),
    ),
  };
}
