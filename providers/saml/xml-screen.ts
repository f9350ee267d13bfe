import { GatehouseError } from '../../src/errors.ts';

/** The largest SAML message we parse (after inflating); AuthnRequests are a few kilobytes. */
export const MAX_XML_BYTES = 256 * 1024;

const invalid = (code: string, message: string) => new GatehouseError('invalid', `saml.${code}`, message);

/**
 * Refuses what no SAML message needs and what XML attacks are made of, before any parser sees it:
 * a document type declaration (entity expansion, external entities), oversized input, and bytes
 * that are not text.
 */
export function screenXml(xml: string): void {
  if (Buffer.byteLength(xml) > MAX_XML_BYTES) throw invalid('too_large', 'SAML message too large');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw invalid('dtd_refused', 'SAML messages must not contain a DTD');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(xml)) throw invalid('malformed', 'not an XML document');
}
