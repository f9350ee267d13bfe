// The portal's sessions, CSRF tokens and page helpers, as the OpenID provider uses them.
// PLACEHOLDER until branch `signin` is merged: no portal session exists yet.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { readForm } from '../../src/http/body.ts';
import type { Runtime } from '../../src/runtime.ts';

export interface PortalSession {
  id: string;
  userId: string;
  authTime: Date;
  amr: string[];
  acr: string;
  mfa: boolean;
}

export async function currentSession(_runtime: Runtime, _ctx: Context): Promise<PortalSession | undefined> {
  return undefined;
}

export async function endSession(_runtime: Runtime, _ctx: Context): Promise<PortalSession | undefined> {
  return undefined;
}

export function csrfToken(_runtime: Runtime, ctx: Context): string {
  let token = ctx.cookies.get('gh_csrf');
  if (!token) {
    token = randomBytes(32).toString('base64url');
    ctx.cookies.set('gh_csrf', token, { httpOnly: true, sameSite: 'lax', path: '/' });
  }
  return token;
}

export async function readCheckedForm(_runtime: Runtime, ctx: Context): Promise<URLSearchParams | undefined> {
  const form = await readForm(ctx, 64 * 1024);
  const cookie = Buffer.from(ctx.cookies.get('gh_csrf') ?? '');
  const sent = Buffer.from(form.get('csrf') ?? '');
  if (cookie.length === 43 && sent.length === 43 && timingSafeEqual(cookie, sent)) return form;
  sendPage(ctx, 403, 'form expired');
  return undefined;
}

export function sendPage(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

export function seeOther(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.set('Location', location);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = '';
}
