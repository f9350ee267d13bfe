import type Koa from 'koa';
import type { Runtime } from '../runtime.ts';
import { endSession as endSessionById, readSession } from '../sessions/sessions.ts';
import type { PortalSession, SessionEndReason } from '../sessions/types.ts';
import { clearCookie, readCookie, setCookie } from './cookies.ts';

/**
 * The portal session of a browser, for every front door (portal, OIDC interactions, SAML):
 * `currentSession` reads the cookie, checks the session (limits, user still active) and counts
 * the request as use. The cookie is HttpOnly, SameSite=Lax, Path=/, and Secure with the `__Host-`
 * prefix when GATEHOUSE_URL is https.
 */
export const SESSION_COOKIE = 'gh_session';
const STATE_KEY = 'portalSession';

export async function currentSession(runtime: Runtime, ctx: Koa.Context): Promise<PortalSession | undefined> {
  // Read once per request, however many layers ask.
  if (STATE_KEY in ctx.state) return ctx.state[STATE_KEY] as PortalSession | undefined;
  const token = readCookie(runtime, ctx, SESSION_COOKIE);
  let session = token ? await readSession(runtime.db, token, runtime.config.sessions) : undefined;
  // The row is the truth (an ended session's row is gone, valid_after is compared); this node's
  // revocation set is consulted too, for a session ended by a change the row does not show yet.
  // A stale set alone does not sign anyone out: the row was just read from the database.
  if (session) {
    const revoked = runtime.revocation.check({
      userId: session.userId,
      issuedAt: session.createdAt.getTime(),
      sessionId: session.id,
    });
    if (revoked !== undefined && revoked !== 'stale') session = undefined;
  }
  if (token && !session) clearSessionCookie(runtime, ctx);
  ctx.state[STATE_KEY] = session;
  return session;
}

/** Sets the cookie of a session just created (its lifetime is the session's absolute limit). */
export function setSessionCookie(
  runtime: Runtime,
  ctx: Koa.Context,
  token: string,
  session?: PortalSession,
): void {
  setCookie(runtime, ctx, SESSION_COOKIE, token, runtime.config.sessions.absolute);
  if (session) ctx.state[STATE_KEY] = session;
}

export function clearSessionCookie(runtime: Runtime, ctx: Koa.Context): void {
  clearCookie(runtime, ctx, SESSION_COOKIE);
  ctx.state[STATE_KEY] = undefined;
}

/**
 * Ends the browser's current session, if any, and clears its cookie: sign-out, and OIDC / SAML
 * logout. Returns the session that ended. The audit entry names the user as the actor.
 */
export async function endSession(
  runtime: Runtime,
  ctx: Koa.Context,
  reason: SessionEndReason = 'logout',
): Promise<PortalSession | undefined> {
  const session = await currentSession(runtime, ctx);
  if (session) {
    await endSessionById(
      runtime.db,
      { actor: `user:${session.userId}`, ip: ctx.ip, requestId: requestIdOf(ctx) },
      session.id,
      reason,
    );
  }
  clearSessionCookie(runtime, ctx);
  return session;
}

export const requestIdOf = (ctx: Koa.Context): string | null => String(ctx.state['requestId'] ?? '') || null;
