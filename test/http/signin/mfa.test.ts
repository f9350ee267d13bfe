import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { queryAudit } from '../../../src/audit/audit.ts';
import { bootstrapRoot } from '../../../src/directory/bootstrap.ts';
import { appRouters } from '../../../src/http/routers.ts';
import { backends } from '../../support/backends.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import {
  CookieJar,
  createPasswordUser,
  freshTotpCode,
  hidden,
  postForm,
  signIn,
} from '../../support/signin.ts';

const PASSWORD = 'Silver-Orchard-Rain-31';

describe.each(backends)('MFA pages and the portal on $name (MFA required)', (backend) => {
  let server: TestServer;
  let seq = 0;
  beforeAll(async () => {
    server = await startTestServer({ backend: backend.name, routers: appRouters });
  });
  afterAll(() => server?.stop());

  /** A user who has signed in once (and so enrolled a device). */
  async function enrolledUser() {
    const userName = `mfa-page-user-${++seq}`;
    const user = await createPasswordUser(server.runtime.db, userName, PASSWORD);
    const first = await signIn({ baseUrl: server.url, userName, password: PASSWORD });
    return {
      ...user,
      userName,
      secret: first.totpSecret!,
      recoveryCodes: first.recoveryCodes,
      jar: first.jar,
    };
  }

  /** Password step done; returns the jar at the MFA page and the page's CSRF token. */
  async function atMfaStep(userName: string) {
    const jar = new CookieJar();
    const form = await (await jar.fetch(`${server.url}/signin`)).text();
    const response = await postForm(jar, `${server.url}/signin`, {
      csrf: hidden(form, 'csrf')!,
      return_to: '/',
      username: userName,
      password: PASSWORD,
    });
    expect(response.headers.get('location')).toBe('/signin/mfa');
    const page = await (await jar.fetch(`${server.url}/signin/mfa`)).text();
    expect(page).toContain('autocomplete="one-time-code"');
    const code = (value: string) =>
      postForm(jar, `${server.url}/signin/mfa`, { csrf: hidden(page, 'csrf')!, code: value });
    return { jar, code };
  }

  test('enrolment shows a QR code and the key; a wrong code shows the same key again', async () => {
    const userName = `mfa-page-user-${++seq}`;
    await createPasswordUser(server.runtime.db, userName, PASSWORD);
    const jar = new CookieJar();
    const form = await (await jar.fetch(`${server.url}/signin`)).text();
    await postForm(jar, `${server.url}/signin`, {
      csrf: hidden(form, 'csrf')!,
      return_to: '/',
      username: userName,
      password: PASSWORD,
    });
    const page = await (await jar.fetch(`${server.url}/signin/enrol`)).text();
    expect(page).toContain('<svg');
    expect(page).toContain('cannot be skipped');
    const secret = /id="totp-secret">([^<]+)</.exec(page)![1]!.replace(/\s+/g, '');
    const device = hidden(page, 'device')!;
    const wrong = await postForm(jar, `${server.url}/signin/enrol`, {
      csrf: hidden(page, 'csrf')!,
      device,
      code: '000000',
    });
    expect(wrong.status).toBe(400);
    const again = await wrong.text();
    expect(hidden(again, 'device')).toBe(device);
    expect(/id="totp-secret">([^<]+)</.exec(again)![1]!.replace(/\s+/g, '')).toBe(secret);
    // The portal stays out of reach meanwhile: there is no session yet.
    expect((await jar.fetch(`${server.url}/`)).status).toBe(303);
    const ok = await postForm(jar, `${server.url}/signin/enrol`, {
      csrf: hidden(page, 'csrf')!,
      device,
      code: await freshTotpCode(secret),
    });
    expect(ok.status).toBe(200);
    expect([...(await ok.text()).matchAll(/<li><code>/g)]).toHaveLength(10);
    expect((await jar.fetch(`${server.url}/`)).status).toBe(200);
  });

  test('a wrong or replayed TOTP code is refused; a right one signs in', async () => {
    const u = await enrolledUser();
    const step = await atMfaStep(u.userName);
    const wrong = await step.code('000000');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That code did not work');
    const code = await freshTotpCode(u.secret);
    const right = await step.code(code);
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/');
    // The same code again, in another sign-in: refused.
    const replay = await atMfaStep(u.userName);
    const replayed = await replay.code(code);
    expect(replayed.status).toBe(401);
    expect(replay.jar.cookies.has('gh_session')).toBe(false);
    const failures = await queryAudit(server.runtime.db, {
      action: 'auth.signin',
      target: `user:${u.id}`,
      outcome: 'failure',
      limit: 5,
    });
    expect(failures.map((f) => f.details['reason'])).toEqual(
      expect.arrayContaining(['wrong_code', 'replayed_code']),
    );
  });

  test('a recovery code signs in once', async () => {
    const u = await enrolledUser();
    const first = await atMfaStep(u.userName);
    expect((await first.code(u.recoveryCodes[0]!.toUpperCase())).status).toBe(303);
    const second = await atMfaStep(u.userName);
    expect((await second.code(u.recoveryCodes[0]!)).status).toBe(401);
    expect((await second.code(u.recoveryCodes[1]!)).status).toBe(303);
  });

  test('five wrong codes lock the account like wrong passwords do', async () => {
    const u = await enrolledUser();
    const step = await atMfaStep(u.userName);
    for (let i = 0; i < 5; i++) expect((await step.code('000000')).status).toBe(401);
    expect((await step.code(await freshTotpCode(u.secret))).status).toBe(401);
    expect(step.jar.cookies.has('gh_session')).toBe(false);
  });

  test('portal: the last authenticator stays; a second one can be added, then the first removed', async () => {
    const u = await enrolledUser();
    const portal = async () => {
      const response = await u.jar.fetch(`${server.url}/`);
      expect(response.status).toBe(200);
      return response.text();
    };
    let page = await portal();
    const csrf = hidden(page, 'csrf')!;
    const firstDevice = /name="device" value="([^"]+)"/.exec(page)![1]!;
    expect(page).toMatch(/Remove<\/button>/);
    const refused = await postForm(u.jar, `${server.url}/portal/mfa/remove`, { csrf, device: firstDevice });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('only authenticator');

    const enrol = await (await postForm(u.jar, `${server.url}/portal/mfa/new`, { csrf })).text();
    const secret = /id="totp-secret">([^<]+)</.exec(enrol)![1]!.replace(/\s+/g, '');
    const device = hidden(enrol, 'device')!;
    expect(
      (await postForm(u.jar, `${server.url}/portal/mfa/confirm`, { csrf, device, code: '000000' })).status,
    ).toBe(400);
    const added = await postForm(u.jar, `${server.url}/portal/mfa/confirm`, {
      csrf,
      device,
      code: await freshTotpCode(secret),
    });
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe('/?notice=mfa_added');
    page = await (await u.jar.fetch(`${server.url}/?notice=mfa_added`)).text();
    expect(page).toContain('The authenticator was added.');
    expect([...page.matchAll(/action="\/portal\/mfa\/remove"/g)]).toHaveLength(2);
    const removed = await postForm(u.jar, `${server.url}/portal/mfa/remove`, { csrf, device: firstDevice });
    expect(removed.status).toBe(303);
    // The removed device's codes no longer sign in; the new one's do.
    const step = await atMfaStep(u.userName);
    expect((await step.code(await freshTotpCode(u.secret))).status).toBe(401);
    expect((await step.code(await freshTotpCode(secret))).status).toBe(303);
  });

  test('portal: new recovery codes, password change, ending another session', async () => {
    const u = await enrolledUser();
    const other = await signIn({
      baseUrl: server.url,
      userName: u.userName,
      password: PASSWORD,
      totpSecret: u.secret,
    });
    let page = await (await u.jar.fetch(`${server.url}/`)).text();
    const csrf = hidden(page, 'csrf')!;
    expect(page).toContain('Recovery codes left: <strong id="recovery-left">10</strong>');
    const codes = await postForm(u.jar, `${server.url}/portal/recovery-codes`, { csrf });
    expect([...(await codes.text()).matchAll(/<li><code>/g)]).toHaveLength(10);
    // The old codes are gone.
    const step = await atMfaStep(u.userName);
    expect((await step.code(u.recoveryCodes[0]!)).status).toBe(401);

    const change = (current: string, password: string) =>
      postForm(u.jar, `${server.url}/portal/password`, { csrf, current, password, confirm: password });
    expect((await change('Wrong-Current-Password-1', 'Another-Silver-Orchard-9')).status).toBe(400);
    const changed = await change(PASSWORD, 'Another-Silver-Orchard-9');
    expect(changed.status).toBe(303);
    expect(changed.headers.get('location')).toBe('/?notice=password_changed');

    page = await (await u.jar.fetch(`${server.url}/`)).text();
    const sessionIds = [...page.matchAll(/name="session" value="([^"]+)"/g)].map((m) => m[1]!);
    expect(sessionIds.length).toBeGreaterThanOrEqual(2);
    expect(page).toContain('This browser');
    const current = /<strong>This browser<\/strong>[\s\S]*?name="session" value="([^"]+)"/.exec(page)![1]!;
    const others = sessionIds.filter((id) => id !== current);
    for (const id of others) {
      expect((await postForm(u.jar, `${server.url}/portal/sessions/end`, { csrf, session: id })).status).toBe(
        303,
      );
    }
    expect((await other.jar.fetch(`${server.url}/`)).status).toBe(303);
    expect((await u.jar.fetch(`${server.url}/`)).status).toBe(200);
    // Ending this browser's own session signs it out.
    const own = await postForm(u.jar, `${server.url}/portal/sessions/end`, { csrf, session: current });
    expect(own.headers.get('location')).toBe('/signin');
    expect((await u.jar.fetch(`${server.url}/`)).status).toBe(303);
  });

  test('root: set-up link, then a first sign-in that must enrol (no way round it)', async () => {
    const link = (await bootstrapRoot(server.runtime.db))!;
    const jar = new CookieJar();
    const setup = await (await jar.fetch(`${server.url}/setup?token=${link.token}`)).text();
    const rootPassword = 'Granite-Watchtower-Dawn-26';
    const set = await postForm(jar, `${server.url}/setup`, {
      token: link.token,
      csrf: hidden(setup, 'csrf')!,
      password: rootPassword,
      confirm: rootPassword,
    });
    expect(set.status).toBe(200);
    expect(await set.text()).toContain('href="/signin"');
    const form = await (await jar.fetch(`${server.url}/signin`)).text();
    const response = await postForm(jar, `${server.url}/signin`, {
      csrf: hidden(form, 'csrf')!,
      return_to: '/',
      username: 'root',
      password: rootPassword,
    });
    expect(response.headers.get('location')).toBe('/signin/enrol');
    // Trying to go elsewhere leads back to enrolment: MFA cannot be skipped.
    expect((await jar.fetch(`${server.url}/signin/mfa`)).headers.get('location')).toBe('/signin/enrol');
    expect((await jar.fetch(`${server.url}/signin/password`)).headers.get('location')).toBe('/signin/enrol');
    expect((await jar.fetch(`${server.url}/`)).status).toBe(303);
    const root = await signIn({ baseUrl: server.url, userName: 'root', password: rootPassword });
    expect(root.totpSecret).toBeDefined();
    const portal = await (await root.jar.fetch(`${server.url}/`)).text();
    expect(portal).toContain('Administrator');
  });
});
