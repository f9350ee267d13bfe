import { DOMParser } from '@xmldom/xmldom';
import type { SamlSettings } from '../../src/apps/saml-settings.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import type { IdpEndpoints } from './entities.ts';
import { logoutRequest } from './logout-messages.ts';
import { signedMessage } from './outbound.ts';
import { STATUS } from './response.ts';
import { MAX_XML_BYTES, screenXml } from './xml-screen.ts';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
/** The SOAPAction the SAML SOAP binding names (SAML bindings §3.2.3.1). */
export const SAML_SOAP_ACTION = 'http://www.oasis-open.org/committees/security';
/** Short: the consumer that sends these handles one revoked user after another. */
export const BACKCHANNEL_TIMEOUT_MS = 3_000;

export interface BackchannelSubject {
  nameId: string;
  format: string;
  sessionIndex: string;
}

/** What the SP said; `status` is its top-level StatusCode when it answered with a LogoutResponse. */
export type BackchannelOutcome =
  | { ok: true; requestId: string; status: string }
  | { ok: false; requestId: string; reason: string; status?: string };

type Element = NonNullable<ReturnType<DOMParser['parseFromString']>['documentElement']>;
const child = (parent: Element, ns: string, name: string): Element | undefined =>
  (Array.from(parent.childNodes) as unknown as Element[]).find(
    (n) => n.nodeType === 1 && n.namespaceURI === ns && n.localName === name,
  );

/**
 * Ends one session at an SP with no browser: a signed LogoutRequest (Reason `admin`) in a SOAP 1.1
 * envelope, POSTed to the SP's SOAP single logout service (SAML bindings §3.2, profiles §4.4),
 * and its LogoutResponse read back. Never throws: a timeout, a redirect, a fault, an HTTP error
 * or an answer to another request is a failed outcome with its reason.
 */
export async function sendBackchannelLogout(
  keys: KeyRing,
  endpoints: IdpEndpoints,
  settings: SamlSettings & { backchannelLogoutUrl: string },
  subject: BackchannelSubject,
  options: { timeoutMs?: number } = {},
): Promise<BackchannelOutcome> {
  let requestId = '';
  try {
    const url = settings.backchannelLogoutUrl;
    const message = logoutRequest(endpoints, url, { ...subject, spEntityId: settings.entityId }, 'admin');
    requestId = message.id;
    const envelope =
      `<?xml version="1.0" encoding="UTF-8"?><soap11:Envelope xmlns:soap11="${SOAP11}"><soap11:Body>` +
      `${signedMessage(keys, endpoints, settings, message.element)}</soap11:Body></soap11:Envelope>`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: `"${SAML_SOAP_ACTION}"`,
        accept: 'text/xml',
      },
      body: envelope,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? BACKCHANNEL_TIMEOUT_MS),
    });
    const text = await readCapped(response);
    // SOAP 1.1 carries a fault with HTTP 500 (§6.2): say what the fault says when there is one.
    const answer = text === undefined ? undefined : readAnswer(text, requestId, settings.entityId);
    if (answer?.fault !== undefined) return { ok: false, requestId, reason: `SOAP fault: ${answer.fault}` };
    if (response.status !== 200) return { ok: false, requestId, reason: `HTTP ${response.status}` };
    if (!answer) return { ok: false, requestId, reason: 'answer too large' };
    if (answer.problem) return { ok: false, requestId, reason: answer.problem };
    const status = answer.status!;
    return status === STATUS.success
      ? { ok: true, requestId, status }
      : { ok: false, requestId, reason: 'the SP did not end the session', status };
  } catch (error) {
    const e = error as Error;
    const reason =
      e.name === 'TimeoutError'
        ? 'timed out'
        : `${e.message}${e.cause ? `: ${(e.cause as Error).message}` : ''}`;
    return { ok: false, requestId, reason: reason.slice(0, 300) };
  }
}

/** The body as text, or undefined past the size any LogoutResponse needs. */
async function readCapped(response: Response): Promise<string | undefined> {
  if (!response.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_XML_BYTES) {
      await response.body.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The SOAP answer: a fault, or the LogoutResponse's top-level status, or what is wrong with it. */
function readAnswer(
  text: string,
  requestId: string,
  spEntityId: string,
): { fault?: string; status?: string; problem?: string } {
  try {
    screenXml(text);
  } catch (error) {
    return { problem: `unreadable answer: ${(error as Error).message}` };
  }
  let root: Element | null | undefined;
  try {
    root = new DOMParser({ errorHandler: () => {} }).parseFromString(text, 'text/xml').documentElement;
  } catch {
    root = undefined;
  }
  const body = root?.namespaceURI === SOAP11 && root.localName === 'Envelope' && child(root, SOAP11, 'Body');
  if (!body) return { problem: 'the answer is not a SOAP 1.1 envelope' };
  const fault = child(body, SOAP11, 'Fault');
  if (fault) {
    const faultString = (Array.from(fault.childNodes) as unknown as Element[]).find(
      (n) => n.localName === 'faultstring',
    );
    return { fault: (faultString?.textContent ?? 'no faultstring').trim().slice(0, 200) };
  }
  const logoutResponse = child(body, PROTOCOL, 'LogoutResponse');
  if (!logoutResponse) return { problem: 'the SOAP body holds no LogoutResponse' };
  if (logoutResponse.getAttribute('InResponseTo') !== requestId)
    return { problem: 'the LogoutResponse answers another request (InResponseTo)' };
  const issuer = child(logoutResponse, ASSERTION, 'Issuer')?.textContent?.trim();
  if (issuer && issuer !== spEntityId)
    return { problem: 'the LogoutResponse is from another entity (Issuer)' };
  const statusCode = child(logoutResponse, PROTOCOL, 'Status');
  const code = statusCode && child(statusCode, PROTOCOL, 'StatusCode')?.getAttribute('Value');
  if (!code) return { problem: 'the LogoutResponse has no StatusCode' };
  return { status: code };
}
