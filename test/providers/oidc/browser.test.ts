import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClient } from '../../../src/clients/clients.ts';
import { launchBrowser, screenshot, type TestBrowser } from '../../support/browser.ts';
import { createPasswordUser, freshTotpCode, signIn } from '../../support/signin.ts';
import { type OidcServer, startOidcServer } from './support.ts';

const PASSWORD = 'correct horse battery staple';

/**
 * A real browser through the whole authorization code flow: the sign-in pages (password, TOTP),
 * the consent page, back to the application. Chromium enforces the pages' Content-Security-Policy,
 * `form-action` on every redirect after a form included: this is where a policy that blocks the
 * way back to the application would show.
 */
describe('OpenID provider in Chromium', () => {
  let server: OidcServer;
  let browser: TestBrowser;
  let app: Server;
  let appUrl: string;
  let totpSecret: string;

  beforeAll(async () => {
    server = await startOidcServer('pglite');
    browser = await launchBrowser();
    app = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>Team Wiki</title><p id="url">${req.url?.replace(/[<&"]/g, '')}</p>`);
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
    await createPasswordUser(server.runtime.db, 'alice', PASSWORD, { displayName: 'Alice Anderson' });
    // Her authenticator is enrolled beforehand (the enrolment pages have their own browser test).
    totpSecret = (await signIn({ baseUrl: server.url, userName: 'alice', password: PASSWORD })).totpSecret!;
    await server.runtime.db.transaction((tx) =>
      createClient(
        tx,
        { actor: 'test' },
        {
          clientId: 'wiki',
          name: 'Team Wiki',
          public: true,
          redirectUris: [`${appUrl}/cb`],
          scopes: ['openid', 'profile', 'email'],
        },
      ),
    );
  });
  afterAll(async () => {
    await browser?.close();
    app?.closeAllConnections();
    app?.close();
    await server?.stop();
  });

  test('sign in with password and TOTP, consent, and land back at the application with a code', async () => {
    const page = await browser.browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused/i.test(message.text())) violations.push(message.text());
    });
    const auth = new URL(`${server.issuer}/auth`);
    auth.search = new URLSearchParams({
      client_id: 'wiki',
      response_type: 'code',
      scope: 'openid profile email',
      redirect_uri: `${appUrl}/cb`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'xyz',
    }).toString();
    await page.goto(auth.href);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.fill('input[name="username"]', 'alice');
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(/\/signin\/mfa/), page.click('button[type="submit"]')]);
    await page.fill('input[name="code"]', await freshTotpCode(totpSecret));
    await Promise.all([page.waitForURL(/\/oidc\/interaction\//), page.click('button[type="submit"]')]);
    await page.waitForSelector('text=Allow access?');
    await screenshot(page, 'oidc-consent');
    await Promise.all([page.waitForURL(`${appUrl}/cb**`), page.click('button[value="allow"]')]);
    const back = new URL(page.url());
    expect(back.searchParams.get('code')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('xyz');
    expect(violations).toEqual([]);

    // Signed in already: a second authorization goes straight back (single sign-on, consent kept).
    await page.goto(auth.href);
    await page.waitForURL(`${appUrl}/cb**`);
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    await page.close();
  });

  test('the device code page is labelled and usable without JavaScript', async () => {
    const context = await browser.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.issuer}/device`);
    await screenshot(page, 'oidc-device-code');
    expect(await page.getAttribute('label[for="user_code"]', 'for')).toBe('user_code');
    await page.fill('#user_code', 'BCDF-GHJK');
    await page.click('button[type="submit"]');
    expect(await page.textContent('[role="alert"]')).toContain('not valid');
    await context.close();
  });
});
