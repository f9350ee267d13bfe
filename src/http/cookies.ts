import type { Context } from 'koa';
import type { Runtime } from '../runtime.ts';

/**
 * Cookies of the browser pages. Under an https base URL they are Secure and carry the `__Host-`
 * prefix (no Domain, Path=/: a sibling sub-domain cannot plant or overwrite them).
 */
export function isHttps(runtime: Runtime): boolean {
  return runtime.config.url.startsWith('https:');
}

export function cookieName(runtime: Runtime, name: string): string {
  return isHttps(runtime) ? `__Host-${name}` : name;
}

export function setCookie(
  runtime: Runtime,
  ctx: Context,
  name: string,
  value: string,
  maxAgeMs: number | undefined,
): void {
  const secure = isHttps(runtime);
  // Behind a TLS-terminating proxy the request itself may be plain http: the base URL decides.
  if (secure) ctx.cookies.secure = true;
  ctx.cookies.set(cookieName(runtime, name), value, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    overwrite: true,
    ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}),
  });
}

/** An empty value makes the cookie library write an expiry in the past: the browser drops it. */
export function clearCookie(runtime: Runtime, ctx: Context, name: string): void {
  setCookie(runtime, ctx, name, '', undefined);
}

export function readCookie(runtime: Runtime, ctx: Context, name: string): string | undefined {
  return ctx.cookies.get(cookieName(runtime, name)) || undefined;
}
