import { deflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import * as samlify from 'samlify';
import type { Application } from '../../src/apps/apps.ts';
import { findSamlApplication } from '../../src/apps/apps.ts';
import type { SamlSettings } from '../../src/apps/saml-settings.ts';
import { GatehouseError } from '../../src/errors.ts';
import type { KeyRing } from '../../src/keys/keyring.ts';
import type { Queryable } from '../../src/store/db.ts';
import type { Inbound } from './decode.ts';
import { type IdpEndpoints, idpEntity, SHA1_URIS, spEntity } from './entities.ts';
import { screenXml } from './xml-screen.ts';

const { BindingNamespace } = samlify.Constants;

/** A login request that passed every check: who asks, where the answer goes, what it demands. */
export interface LoginRequest {
  appId: string;
  requestId: string;
  acsUrl: string;
  relayState: string | undefined;
  forceAuthn: boolean;
  isPassive: boolean;
  /** When we accepted it (ForceAuthn: the sign-in must be newer than this). */
  receivedAt: number;
}

export interface RequestLimits {
  /** How far IssueInstant may be from our clock, either way. */
  clockSkewMs: number;
}

const fail = (code: string, message: string, details?: Record<string, unknown>) =>
  new GatehouseError('invalid', `saml.${code}`, message, details);

function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

const ROOT_ATTRIBUTES = [
  'ID',
  'Version',
  'IssueInstant',
  'Destination',
  'AssertionConsumerServiceURL',
  'AssertionConsumerServiceIndex',
  'ProtocolBinding',
  'ForceAuthn',
  'IsPassive',
  'InResponseTo',
] as const;

/** The root element's attributes by their XML names, read with xmldom (entities are never expanded). */
function rootAttributes(
  xml: string,
  root: string,
): Record<(typeof ROOT_ATTRIBUTES)[number], string | undefined> {
  let element: ReturnType<DOMParser['parseFromString']>['documentElement'] | null = null;
  try {
    element = new DOMParser({ errorHandler: () => {} }).parseFromString(xml, 'text/xml').documentElement;
  } catch {
    element = null;
  }
  if (
    !element ||
    element.localName !== root ||
    element.namespaceURI !== 'urn:oasis:names:tc:SAML:2.0:protocol'
  )
    throw fail('wrong_message', `expected a ${root}`);
  return Object.fromEntries(
    ROOT_ATTRIBUTES.map((name) => [
      name,
      element.hasAttribute(name) ? element.getAttribute(name)! : undefined,
    ]),
  ) as Record<(typeof ROOT_ATTRIBUTES)[number], string | undefined>;
}

/** Attributes of the root element and a few children, read before anything is trusted. */
export function peekMessage(xml: string, root: 'AuthnRequest' | 'LogoutRequest' | 'LogoutResponse') {
  screenXml(xml);
  const { Extractor } = samlify;
  let found: Record<string, unknown>;
  try {
    found = Extractor.extract(xml, [
      {
        key: 'root',
        localPath: [root],
        attributes: [...ROOT_ATTRIBUTES],
      },
      { key: 'issuer', localPath: [root, 'Issuer'], attributes: [] },
      { key: 'sigRef', localPath: [root, 'Signature', 'SignedInfo', 'Reference'], attributes: ['URI'] },
      {
        key: 'sigMethod',
        localPath: [root, 'Signature', 'SignedInfo', 'SignatureMethod'],
        attributes: ['Algorithm'],
      },
      {
        key: 'digestMethod',
        localPath: [root, 'Signature', 'SignedInfo', 'Reference', 'DigestMethod'],
        attributes: ['Algorithm'],
      },
      { key: 'nameId', localPath: [root, 'NameID'], attributes: [] },
      { key: 'sessionIndex', localPath: [root, 'SessionIndex'], attributes: [] },
      { key: 'status', localPath: [root, 'Status', 'StatusCode'], attributes: ['Value'] },
    ] as Parameters<typeof Extractor.extract>[1]);
  } catch {
    throw fail('malformed', 'not a well-formed SAML message');
  }
  const attrs = rootAttributes(xml, root);
  if (!attrs.ID) throw fail('wrong_message', `expected a ${root}`);
  return {
    attrs,
    issuer: first(found['issuer'])?.trim(),
    signatureReference: first(found['sigRef']),
    signatureMethod: first(found['sigMethod']),
    digestMethod: first(found['digestMethod']),
    nameId: first(found['nameId']),
    sessionIndex: first(found['sessionIndex']),
    status: first(found['status']),
  };
}

/**
 * The issuer must be a registered SP; a signature present (or required) must verify against the SP's
 * registered certificates and cover the whole message; SHA-1 only where the SP allows it.
 * Schema validation happens inside samlify's parse (the validator installed in schema.ts).
 */
export async function verifySpMessage(
  q: Queryable,
  keys: KeyRing,
  endpoints: IdpEndpoints,
  inbound: Inbound,
  root: 'AuthnRequest' | 'LogoutRequest' | 'LogoutResponse',
): Promise<{ app: Application & { saml: SamlSettings }; peek: ReturnType<typeof peekMessage> }> {
  const peek = peekMessage(inbound.xml, root);
  if (!peek.issuer) throw fail('missing_issuer', 'the message names no issuer');
  const app = await findSamlApplication(q, peek.issuer);
  if (!app?.saml)
    throw new GatehouseError('not_found', 'saml.unknown_sp', 'this service provider is not registered', {
      issuer: peek.issuer.slice(0, 256),
    });
  const settings = app.saml;
  const signed =
    inbound.binding === 'redirect' ? inbound.signature !== undefined : peek.signatureMethod !== undefined;
  if (!signed && settings.requireSignedRequests)
    throw fail('unsigned_request', 'this service provider must sign its requests');
  if (signed) {
    if (settings.signingCertificates.length === 0)
      throw fail(
        'bad_signature',
        'the message is signed, but no certificate is registered for this service provider',
      );
    const algs =
      inbound.binding === 'redirect' ? [inbound.sigAlg] : [peek.signatureMethod, peek.digestMethod];
    if (!settings.allowSha1 && algs.some((a) => a !== undefined && SHA1_URIS.has(a)))
      throw fail('sha1_refused', 'SHA-1 signatures are not accepted from this service provider');
    if (inbound.binding === 'post' && peek.signatureReference !== `#${peek.attrs['ID']}`)
      throw fail('bad_signature', 'the signature does not cover the message');
  }
  const idp = idpEntity(keys, endpoints, { sp: settings, verifyRequests: signed });
  const sp = spEntity(settings);
  // samlify inflates the Redirect parameter itself: it gets the already bounded XML, re-deflated.
  const request =
    inbound.binding === 'redirect'
      ? {
          query: {
            [inbound.param]: deflateForSamlify(inbound.xml),
            ...(inbound.signature ? { Signature: inbound.signature, SigAlg: inbound.sigAlg } : {}),
          },
          ...(inbound.octetString ? { octetString: inbound.octetString } : {}),
        }
      : { body: { [inbound.param]: Buffer.from(inbound.xml).toString('base64') } };
  try {
    if (root === 'AuthnRequest') await idp.parseLoginRequest(sp, inbound.binding, request);
    else if (root === 'LogoutRequest') await idp.parseLogoutRequest(sp, inbound.binding, request);
    else await idp.parseLogoutResponse(sp, inbound.binding, request);
  } catch (error) {
    if (error instanceof GatehouseError) throw error;
    const message = String((error as Error)?.message ?? error);
    if (/SIGNATURE|CERTIFICATE|SIG_ALG/i.test(message))
      throw fail('bad_signature', 'the signature of the message does not verify');
    throw fail('rejected', 'the SAML message was refused');
  }
  return { app: app as Application & { saml: SamlSettings }, peek };
}

const deflateForSamlify = (xml: string) => deflateRawSync(Buffer.from(xml)).toString('base64');

/**
 * The checks specific to an AuthnRequest, after verifySpMessage: the ACS must be one registered
 * for the SP (by URL or index), the binding HTTP-POST, the destination ours, IssueInstant within
 * the skew, and the ID never seen before from this SP.
 */
export async function acceptAuthnRequest(
  q: Queryable,
  keys: KeyRing,
  endpoints: IdpEndpoints,
  inbound: Inbound,
  limits: RequestLimits,
  now = Date.now(),
): Promise<{ app: Application & { saml: SamlSettings }; request: LoginRequest }> {
  const { app, peek } = await verifySpMessage(q, keys, endpoints, inbound, 'AuthnRequest');
  const attrs = peek.attrs;
  const settings = app.saml;
  if (attrs['Version'] !== '2.0') throw fail('version', 'only SAML 2.0 requests are accepted');
  if (attrs['Destination'] && attrs['Destination'] !== endpoints.sso)
    throw fail('destination', 'the request is addressed to another endpoint');
  if (attrs['ProtocolBinding'] && attrs['ProtocolBinding'] !== BindingNamespace.Post)
    throw fail('unsupported_binding', 'responses are delivered with HTTP-POST only');
  const acsUrl = chooseAcs(
    settings,
    attrs['AssertionConsumerServiceURL'],
    attrs['AssertionConsumerServiceIndex'],
  );
  const instant = Date.parse(attrs['IssueInstant'] ?? '');
  if (!Number.isFinite(instant) || Math.abs(now - instant) > limits.clockSkewMs)
    throw fail('stale_request', 'the request was issued too long ago (or in the future)');
  const requestId = attrs['ID']!;
  const { rowCount } = await q.query(
    `with purge as (delete from saml_request_ids where expires_at < now())
     insert into saml_request_ids (sp_entity_id, request_id, expires_at) values ($1, $2, $3)
     on conflict do nothing`,
    [settings.entityId, requestId, new Date(Math.max(now, instant) + 2 * limits.clockSkewMs)],
  );
  if (!rowCount) throw fail('replayed_request', 'this request was used already');
  return {
    app,
    request: {
      appId: app.id,
      requestId,
      acsUrl,
      relayState: inbound.relayState,
      forceAuthn: attrs['ForceAuthn'] === 'true' || attrs['ForceAuthn'] === '1',
      isPassive: attrs['IsPassive'] === 'true' || attrs['IsPassive'] === '1',
      receivedAt: now,
    },
  };
}

export function chooseAcs(
  settings: SamlSettings,
  url: string | undefined,
  index: string | undefined,
): string {
  if (url !== undefined) {
    const match = settings.acs.find((a) => a.url === url);
    if (!match)
      throw fail(
        'acs_mismatch',
        'the AssertionConsumerServiceURL is not registered for this service provider',
      );
    return match.url;
  }
  if (index !== undefined) {
    const match = settings.acs.find((a) => String(a.index) === index);
    if (!match) throw fail('acs_mismatch', 'no assertion consumer service with this index');
    return match.url;
  }
  return defaultAcs(settings);
}

export const defaultAcs = (settings: SamlSettings): string =>
  (settings.acs.find((a) => a.isDefault) ?? settings.acs[0]!).url;
