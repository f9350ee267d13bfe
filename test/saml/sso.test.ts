import { describe, expect, test } from 'vitest';
import { backends } from '../support/backends.ts';
import { fetchRaw, formFields, spKeys, useSamlServer } from './support.ts';

describe.each(backends)('SAML single sign-on with node-saml as the SP, on $name', (backend) => {
  const idp = useSamlServer(backend.name);

  test('Redirect AuthnRequest: signed response and assertion, audience, recipient, InResponseTo', async () => {
    const alice = await idp.user('alice');
    const sp = idp.sp({ issuer: 'https://sp1.test', callbackUrl: 'https://sp1.test/acs' });
    await idp.app(
      'SP one',
      {
        entityId: 'https://sp1.test',
        acs: [{ url: 'https://sp1.test/acs' }],
        attributes: { mail: 'email', groups: 'groups' },
      },
      { userId: alice.id },
    );
    const url = await sp.getAuthorizeUrlAsync('relay-1', undefined, {});
    const cookie = idp.sessions.signIn(alice.id);
    const page = await fetchRaw(idp.local(url), { cookie });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(
      /script-src 'nonce-[^']+'; .*form-action https:\/\/sp1\.test/,
    );
    const { action, fields } = formFields(page.text);
    expect(action).toBe('https://sp1.test/acs');
    expect(fields['RelayState']).toBe('relay-1');
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: fields['SAMLResponse']! });
    expect(profile?.nameID).toBe('alice@example.com');
    expect(profile?.['mail']).toBe('alice@example.com');
    expect(profile?.issuer).toBe(idp.endpoints.entityId);
    const xml = Buffer.from(fields['SAMLResponse']!, 'base64').toString();
    expect(xml).toMatch(/<saml:Audience>https:\/\/sp1\.test<\/saml:Audience>/);
    expect(xml).toMatch(/Recipient="https:\/\/sp1\.test\/acs"/);
    expect(xml).toMatch(/SessionNotOnOrAfter="/);
  });

  test('POST AuthnRequest signed by the SP; encrypted assertion; persistent NameID stable per app', async () => {
    const bob = await idp.user('bob');
    const keys = spKeys('https://sp2.test');
    await idp.app(
      'SP two',
      {
        entityId: 'https://sp2.test',
        acs: [{ url: 'https://sp2.test/acs' }],
        nameIdFormat: 'persistent',
        requireSignedRequests: true,
        signingCertificates: [keys.certificatePem],
        encryptAssertion: true,
        encryptionCertificate: keys.certificate,
      },
      { userId: bob.id },
    );
    const sp = idp.sp({
      issuer: 'https://sp2.test',
      callbackUrl: 'https://sp2.test/acs',
      authnRequestBinding: 'HTTP-POST',
      skipRequestCompression: true,
      privateKey: keys.privateKeyPem,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      decryptionPvk: keys.privateKeyPem,
    });
    const cookie = idp.sessions.signIn(bob.id);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const message = (await sp.getAuthorizeMessageAsync('', undefined, {})) as Record<string, string>;
      const page = await fetchRaw(`${idp.server.url}/saml/sso`, {
        method: 'POST',
        cookie,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(message).toString(),
      });
      expect(page.status).toBe(200);
      const response = formFields(page.text).fields['SAMLResponse']!;
      expect(Buffer.from(response, 'base64').toString()).toContain('EncryptedAssertion');
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: response });
      expect(profile?.nameIDFormat).toBe('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
      ids.push(profile!.nameID);
    }
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).not.toContain('bob');
  });

  test('no session: to the sign-in page and back; ForceAuthn asks again; IsPassive answers NoPassive', async () => {
    const carol = await idp.user('carol');
    await idp.app(
      'SP three',
      { entityId: 'https://sp3.test', acs: [{ url: 'https://sp3.test/acs' }] },
      { userId: carol.id },
    );
    const sp = idp.sp({ issuer: 'https://sp3.test', callbackUrl: 'https://sp3.test/acs' });
    const first = await fetchRaw(idp.local(await sp.getAuthorizeUrlAsync('', undefined, {})));
    expect(first.status).toBe(303);
    const location = new URL(first.headers.get('location')!, idp.server.url);
    expect(location.pathname).toBe('/signin');
    const returnTo = location.searchParams.get('return_to')!;
    expect(returnTo).toMatch(/^\/saml\/sso\/resume\?state=/);
    const cookie = idp.sessions.signIn(carol.id);
    const resumed = await fetchRaw(`${idp.server.url}${returnTo}`, { cookie });
    const { profile } = await sp.validatePostResponseAsync({
      SAMLResponse: formFields(resumed.text).fields['SAMLResponse']!,
    });
    expect(profile?.nameID).toBe('carol@example.com');

    const old = idp.sessions.signIn(carol.id, new Date(Date.now() - 60_000));
    const forced = idp.sp({
      issuer: 'https://sp3.test',
      callbackUrl: 'https://sp3.test/acs',
      forceAuthn: true,
    });
    const again = await fetchRaw(idp.local(await forced.getAuthorizeUrlAsync('', undefined, {})), {
      cookie: old,
    });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toMatch(/&prompt=login$/);

    const passive = idp.sp({
      issuer: 'https://sp3.test',
      callbackUrl: 'https://sp3.test/acs',
      passive: true,
    });
    const answer = await fetchRaw(idp.local(await passive.getAuthorizeUrlAsync('', undefined, {})));
    expect(answer.status).toBe(200);
    const xml = Buffer.from(formFields(answer.text).fields['SAMLResponse']!, 'base64').toString();
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:NoPassive');
  });

  test('an unassigned user gets the access-denied page and an audit entry', async () => {
    const dave = await idp.user('dave');
    await idp.app(
      'SP four',
      { entityId: 'https://sp4.test', acs: [{ url: 'https://sp4.test/acs' }] },
      undefined,
    );
    const sp = idp.sp({ issuer: 'https://sp4.test', callbackUrl: 'https://sp4.test/acs' });
    const page = await fetchRaw(idp.local(await sp.getAuthorizeUrlAsync('', undefined, {})), {
      cookie: idp.sessions.signIn(dave.id),
    });
    expect(page.status).toBe(403);
    expect(page.text).toContain('You don&#39;t have access to this application');
    const { rows } = await idp.server.runtime.db.query<{ outcome: string; details: { user: string } }>(
      "select outcome, details from audit_log where action = 'application.access' order by seq desc limit 1",
    );
    expect(rows[0]).toMatchObject({ outcome: 'denied', details: { user: `user:${dave.id}` } });
  });

  test('IdP-initiated sign-in from the portal link, with RelayState', async () => {
    const erin = await idp.user('erin');
    const app = await idp.app(
      'SP five',
      { entityId: 'https://sp5.test', acs: [{ url: 'https://sp5.test/acs' }] },
      { userId: erin.id },
    );
    const sp = idp.sp({
      issuer: 'https://sp5.test',
      callbackUrl: 'https://sp5.test/acs',
      validateInResponseTo: 'never' as never,
    });
    const page = await fetchRaw(`${idp.server.url}/saml/apps/${app.id}/start?RelayState=%2Fhome`, {
      cookie: idp.sessions.signIn(erin.id),
    });
    const { fields } = formFields(page.text);
    expect(fields['RelayState']).toBe('/home');
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: fields['SAMLResponse']! });
    expect(profile?.nameID).toBe('erin@example.com');
  });
});
