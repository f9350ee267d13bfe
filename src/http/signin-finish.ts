import type { Context } from 'koa';
import type { AuditContext } from '../audit/audit.ts';
import { hasSecondFactor } from '../auth/mfa/devices.ts';
import { mfaRequired } from '../auth/mfa/policy.ts';
import { nextSignInStep, type SignInStep } from '../auth/signin-steps.ts';
import { findUser, type User } from '../directory/users.ts';
import type { Runtime } from '../runtime.ts';
import { AMR_PASSWORD } from '../sessions/assurance.ts';
import { createSession, endSession as endSessionById } from '../sessions/sessions.ts';
import type { PortalSession } from '../sessions/types.ts';
import { currentSession, requestIdOf, setSessionCookie } from './portal-session.ts';
import { clearFlow, type SignInFlow } from './signin-flow.ts';

/** Who is acting in a sign-in request, for the audit log. */
export function signInContext(ctx: Context, userId?: string): AuditContext & { ip: string } {
  return { actor: userId ? `user:${userId}` : 'anonymous', ip: ctx.ip, requestId: requestIdOf(ctx) };
}

/** The user of a flow, if they may still sign in (active; not invalidated since the password step). */
export async function flowUser(runtime: Runtime, flow: SignInFlow): Promise<User | undefined> {
  const user = await findUser(runtime.db, flow.userId);
  const usable = user?.status === 'active' && user.validAfter.getTime() <= flow.authTime;
  return usable ? user : undefined;
}

export async function stepOf(runtime: Runtime, flow: SignInFlow, user: User): Promise<SignInStep> {
  return nextSignInStep({
    mfaDone: flow.mfaDone,
    hasSecondFactor: await hasSecondFactor(runtime.db, user.id),
    mfaRequired: await mfaRequired(runtime.db, runtime.config, user),
    mustChangePassword: flow.mustChange,
  });
}

export const STEP_PATHS: Record<Exclude<SignInStep, 'done'>, string> = {
  mfa: '/signin/mfa',
  enrol: '/signin/enrol',
  change_password: '/signin/password',
};

/**
 * The end of a sign-in: the browser's previous session (if any) ends, a new one starts (a new
 * token after authentication: no session fixation), the flow cookie goes.
 */
export async function finishSignIn(
  runtime: Runtime,
  ctx: Context,
  user: User,
  flow: SignInFlow,
): Promise<PortalSession> {
  const context = signInContext(ctx, user.id);
  const previous = await currentSession(runtime, ctx);
  if (previous) await endSessionById(runtime.db, context, previous.id, 'replaced');
  const amr = flow.amr.length ? flow.amr : [...AMR_PASSWORD];
  const { session, token } = await createSession(
    runtime.db,
    context,
    {
      userId: user.id,
      amr,
      authTime: new Date(flow.authTime),
      userAgent: ctx.get('user-agent') || undefined,
      ip: ctx.ip,
    },
    runtime.config.sessions,
  );
  setSessionCookie(runtime, ctx, token, session);
  clearFlow(runtime, ctx);
  return session;
}
