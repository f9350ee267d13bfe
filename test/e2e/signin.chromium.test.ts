import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bootstrapRoot } from '../../src/directory/bootstrap.ts';
import { appRouters } from '../../src/http/routers.ts';
import { browserUnavailable, launchBrowser, screenshot, type TestBrowser } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createPasswordUser, freshTotpCode, signIn } from '../support/signin.ts';

/**
 * The sign-in pages in a real browser (Debian's Chromium, headless): the root administrator's
 * first sign-in from the set-up link, with MFA enrolment, and a person's sign-in with password and
 * TOTP. Each page is kept as a screenshot in test-artifacts/.
 */
describe.skipIf(!!browserUnavailable())('sign-in in Chromium', { timeout: 90_000 }, () => {
  let server: TestServer;
  let chromium: TestBrowser;
  beforeAll(async () => {
    [server, chromium] = await Promise.all([
      startTestServer({ backend: 'pglite', routers: appRouters }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await chromium?.close();
    await server?.stop();
  });

  test('root: set-up link, password, MFA enrolment, recovery codes, portal', async () => {
    const link = (await bootstrapRoot(server.runtime.db))!;
    const context = await chromium.browser.newContext();
    const page = await context.newPage();
    const password = 'Granite-Watchtower-Dawn-26';

    await page.goto(`${server.url}/setup?token=${link.token}`);
    await screenshot(page, '01-root-setup');
    await page.fill('#password', password);
    await page.fill('#confirm', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=cannot be skipped');
    await screenshot(page, '02-root-password-set');

    await page.click('a[href="/signin"]');
    await page.waitForURL(/\/signin$/);
    // The first field has the focus; labels name every field.
    expect(await page.evaluate('document.activeElement.id')).toBe('username');
    expect(await page.getByLabel('User name').count()).toBe(1);
    expect(await page.getByLabel('Password').count()).toBe(1);
    await screenshot(page, '03-signin');
    await page.fill('#username', 'root');
    await page.fill('#password', 'Not-The-Password-0');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    await screenshot(page, '04-signin-failed');

    await page.fill('#password', password);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/signin\/enrol$/);
    expect(await page.locator('figure.qr svg').count()).toBe(1);
    await screenshot(page, '05-root-enrol');
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    await page.fill('#code', await freshTotpCode(secret));
    await page.click('button[type=submit]');
    await page.waitForSelector('#recovery-codes');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await screenshot(page, '06-root-recovery-codes');

    await page.click('a.button');
    await page.waitForURL(`${server.url}/`);
    expect(await page.textContent('h1')).toBe('Hello, Root administrator');
    expect(await page.locator('#devices li').count()).toBe(1);
    expect(await page.textContent('#sessions')).toContain('This browser');
    await screenshot(page, '07-root-portal');
    await context.close();
  });

  test('a person signs in with password and TOTP, sees the portal, signs out', async () => {
    const password = 'Willow-Bridge-Lantern-4';
    await createPasswordUser(server.runtime.db, 'alice', password, {
      displayName: 'Alice Anderson',
      email: 'alice@example.com',
    });
    // Alice enrolled her authenticator at an earlier sign-in.
    const { totpSecret } = await signIn({ baseUrl: server.url, userName: 'alice', password });
    const context = await chromium.browser.newContext();
    const page = await context.newPage();

    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/signin\?return_to=%2F$/);
    await page.fill('#username', 'alice');
    await page.fill('#password', password);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/signin\/mfa$/);
    expect(await page.evaluate('document.activeElement.id')).toBe('code');
    await screenshot(page, '08-mfa-challenge');
    await page.fill('#code', '000000');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    await screenshot(page, '09-mfa-wrong-code');
    await page.fill('#code', await freshTotpCode(totpSecret!));
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    expect(await page.textContent('h1')).toBe('Hello, Alice Anderson');
    expect(await page.textContent('main')).toContain('alice@example.com');
    await screenshot(page, '10-portal');

    await page.click('a[href="/portal/password"]');
    await page.waitForURL(/\/portal\/password$/);
    expect(await page.evaluate('document.activeElement.id')).toBe('current');
    await screenshot(page, '11-portal-password');
    await page.goto(`${server.url}/`);

    await page.click('nav.top button[type=submit]');
    await page.waitForURL(/\/signin$/);
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/signin\?return_to=%2F$/);
    await context.close();
  });

  test('a reset password is changed at sign-in, after the second factor', async () => {
    const temporary = 'Temporary-Harbour-Key-11';
    const chosen = 'Chosen-Meadow-Compass-12';
    await createPasswordUser(server.runtime.db, 'bob', temporary, {
      displayName: 'Bob Brown',
      mustChange: true,
    });
    const context = await chromium.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/signin`);
    await page.fill('#username', 'bob');
    await page.fill('#password', temporary);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/signin\/enrol$/);
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    await page.fill('#code', await freshTotpCode(secret));
    await page.click('button[type=submit]');
    await page.waitForSelector('#recovery-codes');
    await page.click('a.button');
    await page.waitForURL(/\/signin\/password$/);
    await screenshot(page, '12-forced-password-change');
    await page.fill('#current', temporary);
    // Long enough for the browser's own check (minlength), too weak for the policy.
    await page.fill('#password', 'aaaaaaaaaaaaaaaa');
    await page.fill('#confirm', 'aaaaaaaaaaaaaaaa');
    await page.click('button[type=submit]');
    await page.waitForSelector('[role=alert]');
    await screenshot(page, '13-forced-password-change-refused');
    await page.fill('#current', temporary);
    await page.fill('#password', chosen);
    await page.fill('#confirm', chosen);
    await page.click('button[type=submit]');
    await page.waitForURL(`${server.url}/`);
    expect(await page.textContent('h1')).toBe('Hello, Bob Brown');
    await context.close();
  });
});
