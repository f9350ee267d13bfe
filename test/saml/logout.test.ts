import { describe, expect, test } from 'vitest';
import { fetchRaw, formFields, useSamlServer } from './support.ts';

describe('SAML single logout with node-saml SPs', () => {
  const idp = useSamlServer('pglite');

  test('SP-initiated logout ends the portal session, notifies the other SP, and answers the first', async () => {
    const user = await idp.user('lena');
    const a = await idp.app(
      'Logout A',
      {
        entityId: 'https://a.test',
        acs: [{ url: 'https://a.test/acs' }],
        slo: { url: 'https://a.test/slo', binding: 'redirect' },
      },
      { userId: user.id },
    );
    const b = await idp.app(
      'Logout B',
      {
        entityId: 'https://b.test',
        acs: [{ url: 'https://b.test/acs' }],
        slo: { url: 'https://b.test/slo', binding: 'post' },
      },
      { userId: user.id },
    );
    const spA = idp.sp({
      issuer: 'https://a.test',
      callbackUrl: 'https://a.test/acs',
      logoutUrl: idp.endpoints.slo,
      validateInResponseTo: 'never' as never,
    });
    const spB = idp.sp({
      issuer: 'https://b.test',
      callbackUrl: 'https://b.test/acs',
      logoutUrl: idp.endpoints.slo,
      validateInResponseTo: 'never' as never,
    });
    const cookie = idp.sessions.signIn(user.id);
    const signIn = async (id: string, sp: typeof spA) => {
      const page = await fetchRaw(`${idp.server.url}/saml/apps/${id}/start`, { cookie });
      return (
        await sp.validatePostResponseAsync({ SAMLResponse: formFields(page.text).fields['SAMLResponse']! })
      ).profile!;
    };
    const profileA = await signIn(a.id, spA);
    await signIn(b.id, spB);

    // A asks to log out (HTTP-Redirect).
    const first = await fetchRaw(idp.local(await spA.getLogoutUrlAsync(profileA, 'back-to-a', {})), {
      cookie,
    });
    expect(idp.sessions.has(cookie)).toBe(false);
    // B is told with HTTP-POST, and validates the signed LogoutRequest.
    expect(first.status).toBe(200);
    const toB = formFields(first.text);
    expect(toB.action).toBe('https://b.test/slo');
    const told = await spB.validatePostRequestAsync({ SAMLRequest: toB.fields['SAMLRequest']! });
    expect(told.loggedOut).toBe(true);
    expect(told.profile?.nameID).toBe('lena@example.com');
    // B answers; the IdP then answers A (HTTP-Redirect), quoting A's RelayState.
    const answerB = await spB.getLogoutResponseUrlAsync(told.profile!, toB.fields['RelayState']!, {}, true);
    const last = await fetchRaw(idp.local(answerB));
    expect(last.status).toBe(302);
    const toA = new URL(last.headers.get('location')!);
    expect(toA.origin + toA.pathname).toBe('https://a.test/slo');
    expect(toA.searchParams.get('RelayState')).toBe('back-to-a');
    const done = await spA.validateRedirectAsync(Object.fromEntries(toA.searchParams), toA.search.slice(1));
    expect(done.loggedOut).toBe(true);

    const { rows } = await idp.server.runtime.db.query('select 1 from saml_session_participants');
    expect(rows).toHaveLength(0);
  });

  test('a LogoutRequest from an SP this session did not use does not end it', async () => {
    const user = await idp.user('max');
    await idp.app(
      'Logout C',
      {
        entityId: 'https://c.test',
        acs: [{ url: 'https://c.test/acs' }],
        slo: { url: 'https://c.test/slo', binding: 'redirect' },
      },
      undefined,
    );
    const spC = idp.sp({
      issuer: 'https://c.test',
      callbackUrl: 'https://c.test/acs',
      logoutUrl: idp.endpoints.slo,
    });
    const cookie = idp.sessions.signIn(user.id);
    const profile = {
      issuer: 'https://c.test',
      nameID: 'max@example.com',
      nameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      sessionIndex: '_x',
    };
    const answer = await fetchRaw(idp.local(await spC.getLogoutUrlAsync(profile, '', {})), { cookie });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toMatch(/^https:\/\/c\.test\/slo\?SAMLResponse=/);
    expect(idp.sessions.has(cookie)).toBe(true);
  });
});
