import { Secret, TOTP } from 'otpauth';
import { hashPassword } from '../../src/auth/password-hash.ts';
import { storePassword } from '../../src/auth/password-store.ts';
import { createUser, type User } from '../../src/directory/users.ts';
import type { Db } from '../../src/store/db.ts';

/**
 * Signing a person in over plain HTTP, as a browser would, without a browser: fetch, a small
 * cookie jar, and the CSRF token scraped from each form. For tests that drive OIDC and SAML flows
 * through the real sign-in pages.
 *
 *   const { cookie } = await signIn({ baseUrl, userName: 'alice', password, totpSecret });
 *   await fetch(`${baseUrl}/`, { headers: { cookie } });
 *
 * Or, in the middle of a protocol flow, from a `/signin?return_to=…` URL the flow redirected to:
 *
 *   const location = await completeSignIn(jar, signinUrl, { userName, password, totpSecret });
 */

/** Cookies by name for one server (paths and expiry are not modelled: the server sets Path=/). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** Takes the Set-Cookie headers of a response; an empty value deletes the cookie. */
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** fetch with this jar's cookies, never following redirects (the caller decides). */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header();
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(response);
    return response;
  }
}

export interface Credentials {
  userName: string;
  password: string;
  /** Base32 TOTP secret of the user's device; without one, an enrolment page is completed and its secret returned. */
  totpSecret?: string | undefined;
  /** For a forced password change (a reset or expired password): the new password. */
  newPassword?: string | undefined;
}

export interface SignedIn {
  jar: CookieJar;
  /** The Cookie header of the signed-in browser (session and CSRF cookies). */
  cookie: string;
  /** The TOTP secret used or enrolled (undefined where MFA was not asked for). */
  totpSecret: string | undefined;
  /** Recovery codes shown when a device was enrolled. */
  recoveryCodes: string[];
  /** Where the sign-in sent the browser at the end (the return_to path). */
  location: string;
}

// Each TOTP code is accepted once: remember the last step used per secret, within this process.
const lastStep = new Map<string, number>();

/** A TOTP code no earlier one of this process used (the next step's code if need be; ±1 step is accepted). */
export async function freshTotpCode(secret: string): Promise<string> {
  for (;;) {
    const now = Date.now();
    const step = Math.floor(now / 30_000);
    const used = lastStep.get(secret) ?? -1;
    const next = Math.max(step, used + 1);
    if (next <= step + 1) {
      lastStep.set(secret, next);
      return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: next * 30_000 });
    }
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - now + 50));
  }
}

/** The value of a hidden form field in a page. */
export const hidden = (html: string, name: string) =>
  new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html)?.[1];

/** Decodes the few entities views/html.ts writes. */
const decodeEntities = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** POSTs a form with the jar's cookies (no redirect following). */
export function postForm(jar: CookieJar, url: string, fields: Record<string, string>): Promise<Response> {
  return jar.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
}

/**
 * Completes the sign-in pages from `signinUrl` (`{base}/signin?return_to=…`): password, then MFA
 * (the given secret, or enrolling a new device), then a forced password change when asked.
 * Returns where the server redirected at the end, and what was enrolled.
 */
export async function completeSignIn(
  jar: CookieJar,
  signinUrl: string,
  credentials: Credentials,
): Promise<Omit<SignedIn, 'jar' | 'cookie'>> {
  const base = new URL(signinUrl).origin;
  let totpSecret = credentials.totpSecret;
  let recoveryCodes: string[] = [];
  let response = await jar.fetch(signinUrl);
  if (response.status === 303) {
    return { location: response.headers.get('location')!, totpSecret, recoveryCodes };
  }
  let page = await response.text();
  if (response.status !== 200) throw new Error(`GET ${signinUrl}: ${response.status}`);
  const fields: Record<string, string> = {
    csrf: hidden(page, 'csrf')!,
    return_to: decodeEntities(hidden(page, 'return_to') ?? '/'),
    username: credentials.userName,
    password: credentials.password,
  };
  const prompt = hidden(page, 'prompt');
  if (prompt) fields['prompt'] = prompt;
  response = await postForm(jar, `${base}/signin`, fields);

  for (let steps = 0; steps < 6; steps++) {
    if (response.status !== 303) {
      throw new Error(`sign-in step answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
    }
    const location = response.headers.get('location')!;
    const path = new URL(location, base).pathname;
    if (!['/signin/mfa', '/signin/enrol', '/signin/password'].includes(path)) {
      return { location, totpSecret, recoveryCodes };
    }
    response = await jar.fetch(new URL(location, base).href);
    page = await response.text();
    const csrf = hidden(page, 'csrf')!;
    if (path === '/signin/mfa') {
      if (!totpSecret) throw new Error(`${credentials.userName} has a second factor: pass totpSecret`);
      response = await postForm(jar, `${base}/signin/mfa`, { csrf, code: await freshTotpCode(totpSecret) });
    } else if (path === '/signin/enrol') {
      totpSecret = /id="totp-secret">([^<]+)</.exec(page)![1]!.replace(/\s+/g, '');
      response = await postForm(jar, `${base}/signin/enrol`, {
        csrf,
        device: hidden(page, 'device')!,
        code: await freshTotpCode(totpSecret),
      });
      const shown = await response.text();
      recoveryCodes = [...shown.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]!);
      const next = /<a class="button" href="([^"]+)"/.exec(shown)?.[1];
      if (response.status !== 200 || !next) throw new Error(`enrolment answered ${response.status}`);
      const target = decodeEntities(next);
      const targetPath = new URL(target, base).pathname;
      if (!['/signin/mfa', '/signin/enrol', '/signin/password'].includes(targetPath)) {
        return { location: target, totpSecret, recoveryCodes };
      }
      response = new Response(null, { status: 303, headers: { location: target } });
    } else {
      if (!credentials.newPassword)
        throw new Error(`${credentials.userName} must change the password: pass newPassword`);
      response = await postForm(jar, `${base}/signin/password`, {
        csrf,
        current: credentials.password,
        password: credentials.newPassword,
        confirm: credentials.newPassword,
      });
    }
  }
  throw new Error('sign-in did not finish');
}

/** Signs a person in at `baseUrl` and returns the browser's cookies. */
export async function signIn(
  options: Credentials & { baseUrl: string; returnTo?: string },
): Promise<SignedIn> {
  const jar = new CookieJar();
  const url = `${options.baseUrl}/signin?return_to=${encodeURIComponent(options.returnTo ?? '/')}`;
  const result = await completeSignIn(jar, url, options);
  return { jar, cookie: jar.header(), ...result };
}

/** A built-in user with a password (to change at first sign-in with `mustChange`), for tests. */
export async function createPasswordUser(
  db: Db,
  userName: string,
  password: string,
  options: { mustChange?: boolean; displayName?: string; email?: string } = {},
): Promise<User> {
  const hash = await hashPassword(password);
  return db.transaction(async (tx) => {
    const user = await createUser(
      tx,
      { actor: 'test' },
      {
        userName,
        ...(options.displayName ? { displayName: options.displayName } : {}),
        ...(options.email ? { emails: [{ value: options.email, primary: true }] } : {}),
      },
    );
    await storePassword(tx, user.id, hash, { mustChange: options.mustChange ?? false, keep: 5 });
    return user;
  });
}
