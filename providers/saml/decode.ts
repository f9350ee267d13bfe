import { inflateRawSync } from 'node:zlib';
import { GatehouseError } from '../../src/errors.ts';
import { MAX_XML_BYTES } from './xml-screen.ts';

export type Binding = 'redirect' | 'post';
export type MessageParam = 'SAMLRequest' | 'SAMLResponse';

/** A SAML message as it arrived, decoded (base64, inflate) within limits, not yet parsed. */
export interface Inbound {
  binding: Binding;
  param: MessageParam;
  xml: string;
  relayState: string | undefined;
  /** Redirect binding: the detached signature and its algorithm, and the exact octets it signs. */
  sigAlg: string | undefined;
  signature: string | undefined;
  octetString: string | undefined;
}

/** Encoded messages larger than this are refused before decoding. */
const MAX_ENCODED = 96 * 1024;

const invalid = (code: string, message: string) => new GatehouseError('invalid', `saml.${code}`, message);

/** SAML bindings say 80 bytes; SPs send longer ones (URLs), so the limit is generous, but there is one. */
const MAX_RELAY_STATE = 2048;
function relayState(value: string | undefined): string | undefined {
  if (value !== undefined && value.length > MAX_RELAY_STATE)
    throw invalid('relay_state_too_long', 'RelayState too long');
  return value;
}

function base64(text: string): Buffer {
  const compact = text.replace(/[\r\n\t ]/g, '');
  if (compact.length > MAX_ENCODED) throw invalid('too_large', 'SAML message too large');
  if (!compact || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact))
    throw invalid('malformed_base64', 'the SAML message is not valid base64');
  return Buffer.from(compact, 'base64');
}

/**
 * HTTP-Redirect: the message is deflated; inflation stops at MAX_XML_BYTES, so a deflate bomb
 * costs at most that much memory. The signature covers the parameters exactly as they were
 * encoded in the URL, so they are taken from the raw query string, not re-encoded.
 */
export function decodeRedirect(rawQuery: string): Inbound {
  const raw = new Map<string, string>();
  for (const pair of rawQuery.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq);
    if (raw.has(key)) throw invalid('malformed', `${key} given twice`);
    raw.set(key, pair.slice(eq + 1));
  }
  const value = (key: string) => {
    const text = raw.get(key);
    if (text === undefined) return undefined;
    try {
      return decodeURIComponent(text.replace(/\+/g, ' '));
    } catch {
      throw invalid('malformed', `${key} is not URL-encoded correctly`);
    }
  };
  const param: MessageParam | undefined = raw.has('SAMLRequest')
    ? 'SAMLRequest'
    : raw.has('SAMLResponse')
      ? 'SAMLResponse'
      : undefined;
  if (!param) throw invalid('missing_message', 'no SAMLRequest or SAMLResponse');
  let xml: Buffer;
  try {
    xml = inflateRawSync(base64(value(param)!), { maxOutputLength: MAX_XML_BYTES });
  } catch (error) {
    if (error instanceof GatehouseError) throw error;
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new GatehouseError('too_large', 'saml.inflate_limit', 'SAML message inflates beyond the limit');
    throw invalid('malformed_deflate', 'the SAML message is not DEFLATE-compressed');
  }
  const signature = value('Signature');
  const sigAlg = value('SigAlg');
  const signedParams = [param, 'RelayState', 'SigAlg'].filter((k) => raw.has(k));
  return {
    binding: 'redirect',
    param,
    xml: xml.toString('utf8'),
    relayState: relayState(value('RelayState')),
    sigAlg,
    signature,
    octetString: signature ? signedParams.map((k) => `${k}=${raw.get(k)}`).join('&') : undefined,
  };
}

/** HTTP-POST: base64 of the XML in a form field; any signature is inside the XML. */
export function decodePost(form: URLSearchParams): Inbound {
  const param: MessageParam | undefined = form.has('SAMLRequest')
    ? 'SAMLRequest'
    : form.has('SAMLResponse')
      ? 'SAMLResponse'
      : undefined;
  if (!param) throw invalid('missing_message', 'no SAMLRequest or SAMLResponse');
  const xml = base64(form.get(param) ?? '');
  if (xml.length > MAX_XML_BYTES) throw invalid('too_large', 'SAML message too large');
  return {
    binding: 'post',
    param,
    xml: xml.toString('utf8'),
    relayState: relayState(form.get('RelayState') ?? undefined),
    sigAlg: undefined,
    signature: undefined,
    octetString: undefined,
  };
}
