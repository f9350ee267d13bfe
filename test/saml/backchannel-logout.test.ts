// SAML SOAP back-channel single logout: the sender against a node:http SOAP SP that verifies the
// signed LogoutRequest with node-saml, its failure cases, and the revocation consequence: a user
// signed in to SPs through the portal is disabled → the SOAP SP is told once, the front-channel
// SP is audited as not told, and the portal session no longer yields a SAMLResponse.
import { SAML } from '@node-saml/node-saml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sendBackchannelLogout } from '../../providers/saml/backchannel-logout.ts';
import { currentCredential, pemCertificate } from '../../providers/saml/certificates.ts';
import { idpEndpoints } from '../../providers/saml/entities.ts';
import { createApplication } from '../../src/apps/apps.ts';
import { assignApplication } from '../../src/apps/assignments.ts';
import { type SamlSettings, samlSettingsSchema } from '../../src/apps/saml-settings.ts';
import { readEvents } from '../../src/directory/events.ts';
import { disableUser } from '../../src/directory/users.ts';
import { type OidcServer, startOidcServer } from '../providers/oidc/support.ts';
import { backends } from '../support/backends.ts';
import { createPasswordUser, signIn } from '../support/signin.ts';
import { logoutRequestOf, soapSp } from './soap-sp.ts';
import { formFields } from './support.ts';

const SP = 'https://soap-sp.test';
const admin = { actor: 'test' };
const PASSWORD = 'correct horse battery staple 42';

describe.each(backends)('SAML back-channel logout on $name', (backend) => {
  let server: OidcServer;
  let sp: Awaited<ReturnType<typeof soapSp>>;
  beforeAll(async () => {
    server = await startOidcServer(backend.name, { GATEHOUSE_MFA_POLICY: 'optional' });
    sp = await soapSp(SP);
  }, 60_000);
  afterAll(async () => {
    await sp?.close();
    await server?.stop();
  });

  const endpoints = () => idpEndpoints(server.runtime.config.url);
  /** node-saml as the SP: it checks the LogoutRequest's signature against the IdP certificate. */
  const nodeSaml = () =>
    new SAML({
      issuer: SP,
      callbackUrl: `${SP}/acs`,
      idpCert: pemCertificate(currentCredential(server.runtime.keys, endpoints().entityId).certificate),
      idpIssuer: endpoints().entityId,
    });
  const settings = (): SamlSettings & { backchannelLogoutUrl: string } =>
    samlSettingsSchema.parse({
      entityId: SP,
      acs: [{ url: `${SP}/acs` }],
      backchannelLogoutUrl: sp.url,
    }) as SamlSettings & { backchannelLogoutUrl: string };
  const subject = {
    nameId: 'ada@example.com',
    format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    sessionIndex: '_s123',
  };

  test('a signed LogoutRequest in a SOAP envelope; the SP verifies it and answers Success', async () => {
    sp.received.length = 0;
    sp.state.mode = 'success';
    const outcome = await sendBackchannelLogout(server.runtime.keys, endpoints(), settings(), subject);
    expect(outcome).toMatchObject({ ok: true, status: 'urn:oasis:names:tc:SAML:2.0:status:Success' });
    expect(sp.received).toHaveLength(1);
    const { headers, body } = sp.received[0]!;
    expect(headers['content-type']).toMatch(/^text\/xml/);
    expect(headers['soapaction']).toBe('"http://www.oasis-open.org/committees/security"');
    expect(body).toMatch(/<soap11:Envelope xmlns:soap11="http:\/\/schemas.xmlsoap.org\/soap\/envelope\/">/);
    const request = logoutRequestOf(body);
    expect(request).toContain('Reason="urn:oasis:names:tc:SAML:2.0:logout:admin"');
    expect(request).toContain(`ID="${outcome.requestId}"`);
    const told = await nodeSaml().validatePostRequestAsync({
      SAMLRequest: Buffer.from(request).toString('base64'),
    });
    expect(told.loggedOut).toBe(true);
    expect(told.profile).toMatchObject({
      issuer: endpoints().entityId,
      nameID: subject.nameId,
      nameIDFormat: subject.format,
      sessionIndex: subject.sessionIndex,
    });
    // A changed message no longer verifies (the signature covers NameID and SessionIndex).
    const forged = request.replace(subject.nameId, 'eve@example.com');
    await expect(
      nodeSaml().validatePostRequestAsync({ SAMLRequest: Buffer.from(forged).toString('base64') }),
    ).rejects.toThrow(/signature/i);
  });

  test('an SP that errs, faults, hangs, redirects or answers another request: a failed outcome, no throw', async () => {
    const cases = [
      ['http-500', /^HTTP 500$/],
      ['fault', /^SOAP fault: session store down$/],
      ['hang', /^timed out$/],
      ['wrong-id', /InResponseTo/],
      ['redirect', /^HTTP 302$/],
      ['partial', /did not end the session/],
    ] as const;
    for (const [mode, reason] of cases) {
      sp.state.mode = mode;
      const outcome = await sendBackchannelLogout(server.runtime.keys, endpoints(), settings(), subject, {
        timeoutMs: 500,
      });
      expect(outcome.ok, mode).toBe(false);
      expect(outcome.ok ? '' : outcome.reason, mode).toMatch(reason);
    }
    // Nobody listening at all.
    const nowhere = { ...settings(), backchannelLogoutUrl: 'http://127.0.0.1:9/soap' };
    const refused = await sendBackchannelLogout(server.runtime.keys, endpoints(), nowhere, subject);
    expect(refused.ok).toBe(false);
  });

  test('a revoked user: the SOAP SP is told once, the front-channel SP is audited as not told, the session yields no SAMLResponse', {
    timeout: 60_000,
  }, async () => {
    const { runtime } = server;
    const { db } = runtime;
    sp.received.length = 0;
    sp.state.mode = 'success';
    const user = await createPasswordUser(db, `ada-${backend.name}`, PASSWORD, { email: 'ada@example.com' });
    const [soapApp, frontApp] = await db.transaction(async (tx) => {
      const soap = await createApplication(tx, admin, {
        name: 'soap-sp',
        type: 'saml',
        saml: { entityId: SP, acs: [{ url: `${SP}/acs` }], backchannelLogoutUrl: sp.url },
      });
      const front = await createApplication(tx, admin, {
        name: 'front-sp',
        type: 'saml',
        saml: {
          entityId: 'https://front.test',
          acs: [{ url: 'https://front.test/acs' }],
          slo: { url: 'https://front.test/slo', binding: 'redirect' },
        },
      });
      for (const app of [soap, front]) await assignApplication(tx, admin, app.id, { userId: user.id });
      return [soap, front];
    });
    expect(runtime.consequences.names()).toContain('saml-logout');

    const { jar } = await signIn({ baseUrl: server.url, userName: user.userName, password: PASSWORD });
    const launch = () => jar.fetch(`${server.url}/saml/apps/${soapApp.id}/start`);
    const page = await launch();
    expect(page.status).toBe(200);
    const { fields } = formFields(await page.text());
    const assertion = Buffer.from(fields['SAMLResponse']!, 'base64').toString();
    const sessionIndex = /SessionIndex="([^"]+)"/.exec(assertion)![1]!;
    expect((await jar.fetch(`${server.url}/saml/apps/${frontApp.id}/start`)).status).toBe(200);

    const mark = (await readEvents(db, 0, 1_000_000)).at(-1)!.id;
    await db.transaction((tx) => disableUser(tx, admin, user.id, { reason: 'left' }));
    // The consequences as the once-across-nodes consumer runs them; twice, as after a crash
    // between acting and moving its cursor: the SP still hears once.
    const handle = runtime.consequences.handler(runtime.log);
    for (let run = 0; run < 2; run++) for (const event of await readEvents(db, mark)) await handle(event);

    expect(sp.received).toHaveLength(1);
    const told = await nodeSaml().validatePostRequestAsync({
      SAMLRequest: Buffer.from(logoutRequestOf(sp.received[0]!.body)).toString('base64'),
    });
    expect(told.profile).toMatchObject({ nameID: 'ada@example.com', sessionIndex });

    const { rows: audited } = await db.query<{
      target: string;
      outcome: string;
      details: Record<string, unknown>;
    }>(
      `select target, outcome, details from audit_log where action = 'saml.backchannel_logout' and details->>'userId' = $1 order by seq`,
      [user.id],
    );
    expect(audited).toHaveLength(2);
    expect(audited.find((a) => a.target === `application:${soapApp.id}`)).toMatchObject({
      outcome: 'success',
      details: { event: 'user.disabled' },
    });
    expect(audited.find((a) => a.target === `application:${frontApp.id}`)).toMatchObject({
      outcome: 'failure',
      details: { notified: false },
    });
    const { rows: left } = await db.query<{ n: number }>(
      'select count(*)::int as n from saml_session_participants where user_id = $1',
      [user.id],
    );
    expect(left[0]!.n).toBe(0);
    // The old portal session signs in to nothing: the launch goes to the sign-in page.
    const after = await launch();
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/signin\?/);
  });
});
