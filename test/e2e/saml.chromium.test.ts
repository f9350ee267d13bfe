import { createServer, type Server } from 'node:http';
import { SAML } from '@node-saml/node-saml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { currentCredential, pemCertificate } from '../../providers/saml/certificates.ts';
import { idpEndpoints } from '../../providers/saml/entities.ts';
import { createApplication } from '../../src/apps/apps.ts';
import { assignApplication } from '../../src/apps/assignments.ts';
import { appRouters } from '../../src/http/routers.ts';
import { launchBrowser, screenshot, type TestBrowser } from '../support/browser.ts';
import { freePort, startTestServer, type TestServer } from '../support/server.ts';
import { createPasswordUser } from '../support/signin.ts';

/**
 * A person opens a link of a SAML service provider (node-saml behind a small HTTP server), signs in
 * on Gatehouse's pages in Chromium, and the browser posts the response to the SP's ACS, where
 * node-saml validates it. A person the application is not assigned to gets the refusal page.
 */
describe('SAML sign-in in Chromium', () => {
  let server: TestServer;
  let chromium: TestBrowser;
  let sp: Server;
  let saml: SAML;
  let acs = '';
  const password = 'Copper-Lantern-Harbour-31';

  beforeAll(async () => {
    const port = await freePort();
    [server, chromium] = await Promise.all([
      startTestServer({
        backend: 'pglite',
        routers: appRouters,
        port,
        env: { GATEHOUSE_URL: `http://127.0.0.1:${port}`, GATEHOUSE_MFA_POLICY: 'optional' },
      }),
      launchBrowser(),
    ]);
    // The SP: its ACS validates what the browser posts and says who signed in.
    sp = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        saml
          .validatePostResponseAsync({ SAMLResponse: form.get('SAMLResponse') ?? '' })
          .then(({ profile }) => {
            res.writeHead(200, { 'content-type': 'text/html' });
            res.end(`<h1 id="who">Signed in as ${profile?.nameID}</h1>`);
          })
          .catch((error: Error) => {
            res.writeHead(400, { 'content-type': 'text/plain' });
            res.end(`refused: ${error.message}`);
          });
      });
    }).listen(0, '127.0.0.1');
    await new Promise((resolve) => sp.once('listening', resolve));
    acs = `http://127.0.0.1:${(sp.address() as { port: number }).port}/acs`;
    const endpoints = idpEndpoints(server.runtime.config.url);
    saml = new SAML({
      entryPoint: endpoints.sso,
      issuer: 'https://chromium-sp.test',
      callbackUrl: acs,
      audience: 'https://chromium-sp.test',
      idpIssuer: endpoints.entityId,
      idpCert: pemCertificate(currentCredential(server.runtime.keys, endpoints.entityId).certificate),
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
    });
    const { db } = server.runtime;
    const alice = await createPasswordUser(db, 'alice', password, { email: 'alice@example.com' });
    await createPasswordUser(db, 'oscar', password, { email: 'oscar@example.com' });
    await db.transaction(async (tx) => {
      const app = await createApplication(
        tx,
        { actor: 'test' },
        {
          name: 'Chromium SP',
          type: 'saml',
          saml: { entityId: 'https://chromium-sp.test', acs: [{ url: acs }] },
        },
      );
      await assignApplication(tx, { actor: 'test' }, app.id, { userId: alice.id });
    });
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await new Promise((resolve) => sp?.close(resolve));
    await server?.stop();
  });

  async function signInThroughSp(userName: string, javaScriptEnabled = true) {
    const context = await chromium.browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(await saml.getAuthorizeUrlAsync('', undefined, {}));
    await page.waitForURL(/\/signin\?/);
    await page.fill('#username', userName);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
    return { context, page };
  }

  test('an assigned person lands on the SP with a valid response', async () => {
    const { context, page } = await signInThroughSp('alice');
    await page.waitForSelector('#who');
    expect(page.url()).toBe(acs);
    expect(await page.textContent('#who')).toBe('Signed in as alice@example.com');
    await screenshot(page, 'saml-01-signed-in-at-sp');
    await context.close();
  });

  test('a person without the assignment is refused, and it is audited', async () => {
    const { context, page } = await signInThroughSp('oscar');
    await page.waitForSelector("text=You don't have access to this application");
    await screenshot(page, 'saml-02-access-denied');
    const { rows } = await server.runtime.db.query<{ outcome: string }>(
      "select outcome from audit_log where action = 'application.access' order by seq desc limit 1",
    );
    expect(rows[0]?.outcome).toBe('denied');
    await context.close();
  });

  test('without JavaScript, the Continue button delivers the response', async () => {
    const { context, page } = await signInThroughSp('alice', false);
    await page.waitForSelector('form#saml button[type=submit]');
    await screenshot(page, 'saml-03-no-javascript');
    await page.click('form#saml button[type=submit]');
    await page.waitForSelector('#who');
    expect(await page.textContent('#who')).toBe('Signed in as alice@example.com');
    await context.close();
  });
});
