import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { queryAudit } from '../../../src/audit/audit.ts';
import { createGroup, findGroupByName } from '../../../src/directory/groups.ts';
import { addMember } from '../../../src/directory/members.ts';
import { deprovisionUser, disableUser } from '../../../src/directory/users.ts';
import { safeReturnTo } from '../../../src/http/return-to.ts';
import { appRouters } from '../../../src/http/routers.ts';
import { backends } from '../../support/backends.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { CookieJar, createPasswordUser, hidden, postForm, signIn } from '../../support/signin.ts';

const PASSWORD = 'Copper-Kettle-Morning-8';

describe('return_to', () => {
  test.each([
    ['/', '/'],
    ['/portal/password', '/portal/password'],
    ['/oidc/interaction/abc?x=1#y', '/oidc/interaction/abc?x=1#y'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['/\\/evil.example', '/'],
    ['/x\\y', '/'],
    ['https://evil.example/', '/'],
    ['http:/evil.example', '/'],
    ['evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/\t/evil.example', '/'],
    ['/\n/evil.example', '/'],
    ['/ /evil.example', '/'],
    ['', '/'],
  ])('%j → %j', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });
  test('non-strings and over-long paths', () => {
    expect(safeReturnTo(`/${'a'.repeat(3000)}`)).toBe('/');
    expect(safeReturnTo(undefined)).toBe('/');
    expect(safeReturnTo(['/a', '/b'])).toBe('/');
  });
});

/** The alert of a page, with the user name it echoes removed. */
const alertOf = (page: string) => /<div class="errors" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(page)?.[1];

describe.each(backends)('sign-in pages on $name (MFA optional)', (backend) => {
  let server: TestServer;
  let seq = 0;
  beforeAll(async () => {
    server = await startTestServer({
      backend: backend.name,
      routers: appRouters,
      env: { GATEHOUSE_MFA_POLICY: 'optional' },
    });
  });
  afterAll(() => server?.stop());

  const newUser = async (options: { mustChange?: boolean } = {}) => {
    const userName = `page-user-${++seq}`;
    const user = await createPasswordUser(server.runtime.db, userName, PASSWORD, options);
    return { ...user, userName };
  };

  /** POSTs /signin as a browser would: the form first (for the CSRF token), then the fields. */
  async function submit(jar: CookieJar, fields: Record<string, string>, query = '') {
    const form = await (await jar.fetch(`${server.url}/signin${query}`)).text();
    return postForm(jar, `${server.url}/signin`, {
      csrf: hidden(form, 'csrf')!,
      return_to: hidden(form, 'return_to')!,
      ...fields,
    });
  }

  test('the sign-in page: labels, autocomplete, CSRF field, no script, strict CSP', async () => {
    const response = await fetch(`${server.url}/signin?return_to=/portal/password`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('gh_csrf='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const page = await response.text();
    expect(page).toContain('<label for="username">');
    expect(page).toContain('autocomplete="username"');
    expect(page).toContain('autocomplete="current-password"');
    expect(hidden(page, 'return_to')).toBe('/portal/password');
    expect(hidden(page, 'csrf')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page).not.toContain('<script');
  });

  test('a form without its CSRF token gets a 403 page, and nothing happens', async () => {
    const u = await newUser();
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/signin`);
    const bare = (path: string, fields: Record<string, string>) =>
      postForm(jar, `${server.url}${path}`, fields);
    const attempts: Record<string, string>[] = [
      { username: u.userName, password: PASSWORD },
      { username: u.userName, password: PASSWORD, csrf: 'x'.repeat(43) },
    ];
    for (const fields of attempts) {
      const response = await bare('/signin', fields);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(await response.text()).toContain('Form expired');
    }
    // Without the cookie, the field alone is not enough either.
    const page = await (await jar.fetch(`${server.url}/signin`)).text();
    const noCookie = await fetch(`${server.url}/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: hidden(page, 'csrf')!, username: u.userName, password: PASSWORD }),
    });
    expect(noCookie.status).toBe(403);
    // Signed in, a portal change or sign-out without the token changes nothing.
    const signedIn = await signIn({ baseUrl: server.url, userName: u.userName, password: PASSWORD });
    const session = (
      await queryAudit(server.runtime.db, { action: 'session.create', target: `user:${u.id}`, limit: 1 })
    )[0]!;
    for (const path of ['/signout', '/portal/sessions/end', '/portal/mfa/new', '/portal/recovery-codes']) {
      const response = await postForm(signedIn.jar, `${server.url}${path}`, {
        session: String(session.details['sessionId']),
      });
      expect(response.status, path).toBe(403);
    }
    expect((await signedIn.jar.fetch(`${server.url}/`)).status).toBe(200);
    // No JSON, no 500 for a body that is not a form.
    const json = await signedIn.jar.fetch(`${server.url}/signout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(403);
  });

  test('no open redirects: return_to is a local path or /', async () => {
    const u = await newUser();
    const signedIn = await signIn({
      baseUrl: server.url,
      userName: u.userName,
      password: PASSWORD,
      returnTo: '//evil.example/path',
    });
    expect(signedIn.location).toBe('/');
    for (const target of ['//evil.example', 'https://evil.example/', '/\\evil.example', '/ok?next=1']) {
      const response = await signedIn.jar.fetch(
        `${server.url}/signin?return_to=${encodeURIComponent(target)}`,
      );
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(target === '/ok?next=1' ? target : '/');
    }
    // A tampered hidden field is checked again on POST.
    const jar = new CookieJar();
    const response = await submit(jar, {
      username: u.userName,
      password: PASSWORD,
      return_to: '//evil.example',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/');
  });

  test('unknown user, wrong password and a locked account look the same', async () => {
    const u = await newUser();
    const jar = new CookieJar();
    const unknown = await submit(jar, { username: 'nobody-at-all', password: PASSWORD });
    const wrong = await submit(jar, { username: u.userName, password: 'Not-The-Password-1' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const unknownAlert = alertOf(await unknown.text());
    expect(unknownAlert).toContain('did not work');
    expect(alertOf(await wrong.text())).toBe(unknownAlert);
    for (let i = 0; i < 5; i++) await submit(jar, { username: u.userName, password: `Wrong-Password-${i}x` });
    const locked = await submit(jar, { username: u.userName, password: PASSWORD });
    expect(locked.status).toBe(401);
    expect(alertOf(await locked.text())).toBe(unknownAlert);
    expect(locked.headers.getSetCookie().some((c) => c.startsWith('gh_session='))).toBe(false);
    const reasons = (await queryAudit(server.runtime.db, { action: 'auth.signin', limit: 50 })).map(
      (e) => e.details['reason'],
    );
    expect(reasons).toEqual(expect.arrayContaining(['unknown_user', 'wrong_password', 'locked']));
  });

  test('a disabled user cannot sign in; disabled mid-session, they are signed out', async () => {
    const u = await newUser();
    const signedIn = await signIn({ baseUrl: server.url, userName: u.userName, password: PASSWORD });
    expect((await signedIn.jar.fetch(`${server.url}/`)).status).toBe(200);
    await server.runtime.db.transaction((tx) => disableUser(tx, { actor: 'test' }, u.id));
    const after = await signedIn.jar.fetch(`${server.url}/`);
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/signin?return_to=%2F');
    expect(signedIn.jar.cookies.has('gh_session')).toBe(false);
    const again = await submit(new CookieJar(), { username: u.userName, password: PASSWORD });
    expect(again.status).toBe(403);
    expect(await again.text()).toContain('disabled');
    // Deprovisioned: gone, like an unknown name.
    await server.runtime.db.transaction((tx) => deprovisionUser(tx, { actor: 'test' }, u.id));
    const gone = await submit(new CookieJar(), { username: u.userName, password: PASSWORD });
    expect(gone.status).toBe(401);
    expect(alertOf(await gone.text())).toContain('did not work');
  });

  test('prompt=login signs in again with a session; the new session replaces the old one', async () => {
    const u = await newUser();
    const signedIn = await signIn({ baseUrl: server.url, userName: u.userName, password: PASSWORD });
    const oldCookie = signedIn.jar.cookies.get('gh_session');
    const form = await signedIn.jar.fetch(`${server.url}/signin?prompt=login&return_to=/oidc/x`);
    expect(form.status).toBe(200);
    const page = await form.text();
    expect(hidden(page, 'prompt')).toBe('login');
    const response = await postForm(signedIn.jar, `${server.url}/signin`, {
      csrf: hidden(page, 'csrf')!,
      return_to: hidden(page, 'return_to')!,
      prompt: 'login',
      username: u.userName,
      password: PASSWORD,
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/oidc/x');
    expect(signedIn.jar.cookies.get('gh_session')).not.toBe(oldCookie);
    const stale = await fetch(`${server.url}/`, {
      headers: { cookie: `gh_session=${oldCookie}` },
      redirect: 'manual',
    });
    expect(stale.status).toBe(303);
  });

  test('a reset password must be changed before the session starts; sign-out ends it', async () => {
    const u = await newUser({ mustChange: true });
    const next = 'Brand-New-Lighthouse-77';
    const signedIn = await signIn({
      baseUrl: server.url,
      userName: u.userName,
      password: PASSWORD,
      newPassword: next,
    });
    expect(signedIn.location).toBe('/');
    const portal = await signedIn.jar.fetch(`${server.url}/`);
    expect(portal.status).toBe(200);
    const page = await portal.text();
    expect(page).toContain('Change your password');
    // Sign out: the session ends, the portal sends to sign-in again.
    const response = await postForm(signedIn.jar, `${server.url}/signout`, { csrf: hidden(page, 'csrf')! });
    expect(response.status).toBe(303);
    expect((await signedIn.jar.fetch(`${server.url}/`)).status).toBe(303);
    await expect(signIn({ baseUrl: server.url, userName: u.userName, password: PASSWORD })).rejects.toThrow(
      /401/,
    );
    expect((await signIn({ baseUrl: server.url, userName: u.userName, password: next })).location).toBe('/');
  });

  test('the forced password change applies the policy and needs the current password', async () => {
    const u = await newUser({ mustChange: true });
    const jar = new CookieJar();
    const response = await submit(jar, { username: u.userName, password: PASSWORD });
    expect(response.headers.get('location')).toBe('/signin/password');
    expect(jar.cookies.has('gh_session')).toBe(false);
    // The portal is out of reach until the password is changed.
    expect((await jar.fetch(`${server.url}/`)).status).toBe(303);
    const page = await (await jar.fetch(`${server.url}/signin/password`)).text();
    const change = (current: string, password: string, confirm = password) =>
      postForm(jar, `${server.url}/signin/password`, {
        csrf: hidden(page, 'csrf')!,
        current,
        password,
        confirm,
      });
    expect((await change(PASSWORD, 'short')).status).toBe(400);
    expect((await change(PASSWORD, 'Brand-New-Lighthouse-77', 'Other-New-Lighthouse-77')).status).toBe(400);
    const wrongCurrent = await change('Not-The-Password-1', 'Brand-New-Lighthouse-77');
    expect(wrongCurrent.status).toBe(400);
    expect(await wrongCurrent.text()).toContain('current password');
    expect((await change(PASSWORD, PASSWORD)).status).toBe(400);
    const ok = await change(PASSWORD, 'Brand-New-Lighthouse-77');
    expect(ok.status).toBe(303);
    expect(jar.cookies.has('gh_session')).toBe(true);
  });

  test('optional policy: administrators must still enrol, others sign in with a password alone', async () => {
    const plain = await newUser();
    const admin = await newUser();
    await server.runtime.db.transaction(async (tx) => {
      const admins =
        (await findGroupByName(tx, 'gatehouse-admins')) ??
        (await createGroup(tx, { actor: 'test' }, { name: 'gatehouse-admins' }));
      await addMember(tx, { actor: 'test' }, admins.id, { userId: admin.id });
    });
    const plainAnswer = await submit(new CookieJar(), { username: plain.userName, password: PASSWORD });
    expect(plainAnswer.headers.get('location')).toBe('/');
    const adminAnswer = await submit(new CookieJar(), { username: admin.userName, password: PASSWORD });
    expect(adminAnswer.headers.get('location')).toBe('/signin/enrol');
    const signedIn = await signIn({ baseUrl: server.url, userName: admin.userName, password: PASSWORD });
    expect(signedIn.totpSecret).toBeDefined();
    const sessions = await queryAudit(server.runtime.db, {
      action: 'session.create',
      target: `user:${admin.id}`,
      limit: 1,
    });
    expect(sessions[0]!.details).toMatchObject({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:gatehouse:acr:mfa' });
  });

  test('errors of the pages are pages too: an over-large form is a 413 page, not JSON', async () => {
    const jar = new CookieJar();
    const form = await (await jar.fetch(`${server.url}/signin`)).text();
    const response = await postForm(jar, `${server.url}/signin`, {
      csrf: hidden(form, 'csrf')!,
      username: 'x'.repeat(100_000),
      password: PASSWORD,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toContain('Too much data');
  });

  test('step pages without a sign-in in progress go back to /signin', async () => {
    for (const path of ['/signin/mfa', '/signin/enrol', '/signin/password']) {
      const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(303);
      expect(response.headers.get('location')).toBe('/signin');
    }
    const jar = new CookieJar();
    await jar.fetch(`${server.url}/signin`);
    jar.cookies.set('gh_signin', 'forged~v1.AAAA.BBBB');
    expect((await jar.fetch(`${server.url}/signin/mfa`)).headers.get('location')).toBe('/signin');
  });
});

describe('cookies under an https base URL', () => {
  test('Secure, __Host- prefixed, HttpOnly, SameSite=Lax', async () => {
    const server = await startTestServer({
      backend: 'pglite',
      routers: appRouters,
      env: { GATEHOUSE_URL: 'https://id.example.test', GATEHOUSE_MFA_POLICY: 'optional' },
    });
    try {
      await createPasswordUser(server.runtime.db, 'secure-user', PASSWORD);
      const page = await fetch(`${server.url}/signin`);
      const csrfCookie = page.headers.getSetCookie()[0]!;
      const attributes = (cookie: string) => new Set(cookie.toLowerCase().split('; ').slice(1));
      expect(csrfCookie.startsWith('__Host-gh_csrf=')).toBe(true);
      expect(attributes(csrfCookie)).toEqual(new Set(['path=/', 'secure', 'samesite=lax', 'httponly']));
      const value = csrfCookie.split(';')[0]!;
      const response = await fetch(`${server.url}/signin`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: value },
        body: new URLSearchParams({
          csrf: hidden(await page.text(), 'csrf')!,
          return_to: '/',
          username: 'secure-user',
          password: PASSWORD,
        }),
      });
      expect(response.status).toBe(303);
      const session = response.headers.getSetCookie().find((c) => c.startsWith('__Host-gh_session='))!;
      expect([...attributes(session)].filter((a) => !a.startsWith('expires='))).toEqual(
        expect.arrayContaining(['path=/', 'secure', 'samesite=lax', 'httponly']),
      );
      expect([...attributes(session)].some((a) => a.startsWith('expires='))).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
