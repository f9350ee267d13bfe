import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { formExpiredPage } from '../../views/errors.ts';
import type { Runtime } from '../runtime.ts';
import { readForm } from './body.ts';
import { readCookie, setCookie } from './cookies.ts';
import { sendPage } from './page.ts';

/**
 * CSRF protection of every browser form, one way: a double-submit token. A random token lives in
 * an HttpOnly cookie (`__Host-` prefixed and Secure under https, SameSite=Lax); each form carries
 * the same value in a hidden `csrf` field, and a POST is accepted only when the two match
 * (constant-time). A cross-site page can make the browser send the cookie but cannot read it to
 * fill the field. The token is per browser, not per form, so several tabs work side by side.
 */
const COOKIE = 'gh_csrf';
const FIELD = 'csrf';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const FORM_LIMIT = 64 * 1024;

/** The browser's CSRF token for a form about to be rendered (set as a cookie when missing). */
export function csrfToken(runtime: Runtime, ctx: Context): string {
  const cached = ctx.state['csrf'] as string | undefined;
  if (cached) return cached;
  let token = readCookie(runtime, ctx, COOKIE);
  if (!token || !TOKEN.test(token)) {
    token = randomBytes(32).toString('base64url');
    setCookie(runtime, ctx, COOKIE, token, undefined);
  }
  ctx.state['csrf'] = token;
  return token;
}

/** Whether the form's `csrf` field matches the browser's CSRF cookie. */
export function csrfValid(runtime: Runtime, ctx: Context, form: URLSearchParams): boolean {
  const cookie = Buffer.from(readCookie(runtime, ctx, COOKIE) ?? '');
  const sent = Buffer.from(form.get(FIELD) ?? '');
  return cookie.length === 43 && sent.length === cookie.length && timingSafeEqual(cookie, sent);
}

/**
 * Reads a posted form and checks its CSRF token. When the token is missing or wrong, answers 403
 * with a page saying the form expired and returns undefined: the caller just returns.
 */
export async function readCheckedForm(runtime: Runtime, ctx: Context): Promise<URLSearchParams | undefined> {
  const form = ctx.is('application/x-www-form-urlencoded')
    ? await readForm(ctx, FORM_LIMIT)
    : new URLSearchParams();
  if (csrfValid(runtime, ctx, form)) return form;
  sendPage(ctx, 403, formExpiredPage());
  return undefined;
}
