import { randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, test } from 'vitest';
import { backends } from '../support/backends.ts';
import { fetchRaw, spKeys, useSamlServer } from './support.ts';

/**
 * Every refused message is answered with a page that says why (or a SAML error status), never a
 * 500, and leaves an audit entry with a stable code.
 */
describe.each(backends)('SAML requests that must be refused, on $name', (backend) => {
  const idp = useSamlServer(backend.name);
  const keys = spKeys('https://signed.test');
  let cookie = '';

  beforeAll(async () => {
    const user = await idp.user('mallory');
    cookie = idp.sessions.signIn(user.id);
    await idp.app(
      'Open SP',
      { entityId: 'https://open.test', acs: [{ url: 'https://open.test/acs' }] },
      { userId: user.id },
    );
    await idp.app(
      'Signed SP',
      {
        entityId: 'https://signed.test',
        acs: [{ url: 'https://signed.test/acs' }],
        requireSignedRequests: true,
        signingCertificates: [keys.certificatePem],
      },
      { userId: user.id },
    );
  });

  const authnRequest = (
    fields: {
      issuer?: string;
      acs?: string;
      instant?: Date;
      id?: string;
      extra?: string;
      body?: string;
    } = {},
  ) =>
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${fields.id ?? `_${randomUUID()}`}" Version="2.0" IssueInstant="${(fields.instant ?? new Date()).toISOString()}" AssertionConsumerServiceURL="${fields.acs ?? 'https://open.test/acs'}"${fields.extra ?? ''}><saml:Issuer>${fields.issuer ?? 'https://open.test'}</saml:Issuer>${fields.body ?? ''}</samlp:AuthnRequest>`;
  const redirect = (xml: string | Buffer, extra = '') =>
    `${idp.server.url}/saml/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}${extra}`;
  const post = (value: string) =>
    fetchRaw(`${idp.server.url}/saml/sso`, {
      method: 'POST',
      cookie,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLRequest: value }).toString(),
    });

  async function refused(answer: { status: number; text: string }, status: number, code: string) {
    expect(answer.status).toBe(status);
    expect(answer.text).toContain('Sign-in request refused');
    const { rows } = await idp.server.runtime.db.query<{ outcome: string; details: { code: string } }>(
      "select outcome, details from audit_log where action = 'saml.request' order by seq desc limit 1",
    );
    expect(rows[0]).toMatchObject({ outcome: 'failure', details: { code } });
  }

  test('a well-formed request from the open SP is accepted (the baseline of this file)', async () => {
    const answer = await fetchRaw(redirect(authnRequest()), { cookie });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('name="SAMLResponse"');
  });

  test('unknown SP', async () => {
    await refused(
      await fetchRaw(redirect(authnRequest({ issuer: 'https://evil.test' })), { cookie }),
      404,
      'saml.unknown_sp',
    );
  });

  test('ACS URL not registered', async () => {
    await refused(
      await fetchRaw(redirect(authnRequest({ acs: 'https://evil.test/acs' })), { cookie }),
      400,
      'saml.acs_mismatch',
    );
  });

  test('wrong binding asked for the response', async () => {
    const xml = authnRequest({
      extra: ' ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"',
    });
    await refused(await fetchRaw(redirect(xml), { cookie }), 400, 'saml.unsupported_binding');
  });

  test('a LogoutRequest sent to the SSO endpoint', async () => {
    const xml = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">https://open.test</saml:Issuer></samlp:LogoutRequest>`;
    await refused(await fetchRaw(redirect(xml), { cookie }), 400, 'saml.wrong_message');
  });

  test('replayed request ID', async () => {
    const xml = authnRequest();
    expect((await fetchRaw(redirect(xml), { cookie })).status).toBe(200);
    await refused(await fetchRaw(redirect(xml), { cookie }), 400, 'saml.replayed_request');
  });

  test('IssueInstant too old, or in the future', async () => {
    await refused(
      await fetchRaw(redirect(authnRequest({ instant: new Date(Date.now() - 3_600_000) })), { cookie }),
      400,
      'saml.stale_request',
    );
    await refused(
      await fetchRaw(redirect(authnRequest({ instant: new Date(Date.now() + 3_600_000) })), { cookie }),
      400,
      'saml.stale_request',
    );
  });

  test('a deflate bomb stops at the inflate limit', async () => {
    const bomb = Buffer.concat([
      Buffer.from(authnRequest().replace('</samlp:AuthnRequest>', '')),
      Buffer.alloc(5_000_000, 0x20),
    ]);
    const url = redirect(bomb);
    expect(url.length).toBeLessThan(12_000); // fits in a URL; inflates to 5 MB
    await refused(await fetchRaw(url, { cookie }), 413, 'saml.inflate_limit');
  });

  test('a DOCTYPE with entity expansion (billion laughs) and an external entity', async () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>${authnRequest({ issuer: '&lol2;' })}`;
    await refused(await fetchRaw(redirect(laughs), { cookie }), 400, 'saml.dtd_refused');
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${authnRequest({ issuer: '&x;' })}`;
    await refused(await post(Buffer.from(xxe).toString('base64')), 400, 'saml.dtd_refused');
  });

  test('malformed base64, not deflated, not XML, not matching the schema', async () => {
    await refused(
      await fetchRaw(`${idp.server.url}/saml/sso?SAMLRequest=%%%not-base64`, { cookie }),
      400,
      'saml.malformed',
    );
    await refused(
      await fetchRaw(`${idp.server.url}/saml/sso?SAMLRequest=bm90LWJhc2U2NCE*`, { cookie }),
      400,
      'saml.malformed_base64',
    );
    await refused(await post('!!!!'), 400, 'saml.malformed_base64');
    await refused(
      await fetchRaw(
        `${idp.server.url}/saml/sso?SAMLRequest=${encodeURIComponent(Buffer.from(authnRequest()).toString('base64'))}`,
        { cookie },
      ),
      400,
      'saml.malformed_deflate',
    );
    await refused(await post(Buffer.from('<a><b></a>').toString('base64')), 400, 'saml.wrong_message');
    const noVersion = authnRequest().replace('Version="2.0" ', '');
    await refused(await post(Buffer.from(noVersion).toString('base64')), 400, 'saml.schema_invalid');
  });

  test('unsigned request to an SP that must sign', async () => {
    const xml = authnRequest({ issuer: 'https://signed.test', acs: 'https://signed.test/acs' });
    await refused(await fetchRaw(redirect(xml), { cookie }), 400, 'saml.unsigned_request');
  });

  test('signed request modified after signing (Redirect and POST), and a SHA-1 signature', async () => {
    const sp = idp.sp({
      issuer: 'https://signed.test',
      callbackUrl: 'https://signed.test/acs',
      privateKey: keys.privateKeyPem,
      signatureAlgorithm: 'sha256',
    });
    const url = idp.local(await sp.getAuthorizeUrlAsync('state-1', undefined, {}));
    expect((await fetchRaw(url, { cookie })).status).toBe(200);
    const tampered = idp
      .local(await sp.getAuthorizeUrlAsync('state-1', undefined, {}))
      .replace('RelayState=state-1', 'RelayState=state-2');
    await refused(await fetchRaw(tampered, { cookie }), 400, 'saml.bad_signature');

    const postSp = idp.sp({
      issuer: 'https://signed.test',
      callbackUrl: 'https://signed.test/acs',
      authnRequestBinding: 'HTTP-POST',
      skipRequestCompression: true,
      privateKey: keys.privateKeyPem,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
    });
    const message = (await postSp.getAuthorizeMessageAsync('', undefined, {})) as Record<string, string>;
    const xml = Buffer.from(message['SAMLRequest']!, 'base64')
      .toString()
      .replace('Version="2.0"', 'Version="2.0" ForceAuthn="false"');
    await refused(await post(Buffer.from(xml).toString('base64')), 400, 'saml.bad_signature');

    const sha1 = idp.sp({
      issuer: 'https://signed.test',
      callbackUrl: 'https://signed.test/acs',
      privateKey: keys.privateKeyPem,
      signatureAlgorithm: 'sha1',
    });
    await refused(
      await fetchRaw(idp.local(await sha1.getAuthorizeUrlAsync('', undefined, {})), { cookie }),
      400,
      'saml.sha1_refused',
    );
  });
});
