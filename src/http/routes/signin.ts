import Router from '@koa/router';
import type { Context } from 'koa';
import { errorPage } from '../../../views/errors.ts';
import { signInPage } from '../../../views/signin.ts';
import { signInWithPassword } from '../../auth/sign-in.ts';
import type { Runtime } from '../../runtime.ts';
import { AMR_PASSWORD } from '../../sessions/assurance.ts';
import { csrfToken, readCheckedForm } from '../csrf.ts';
import { seeOther, sendPage } from '../page.ts';
import { pageErrors } from '../page-errors.ts';
import { currentSession, endSession } from '../portal-session.ts';
import { safeReturnTo } from '../return-to.ts';
import { finishSignIn, STEP_PATHS, signInContext, stepOf } from '../signin-finish.ts';
import { FLOW_TTL_MS, saveFlow } from '../signin-flow.ts';

/** One message for an unknown user, a wrong password and a lock: the audit log tells them apart. */
export const SIGN_IN_FAILED =
  'That user name and password did not work. Check them and try again; after several failed attempts, wait a few minutes.';

/**
 * `GET /signin?return_to=/path[&prompt=login]`: the entry point of every front door. A browser
 * with a live session goes straight back to `return_to` (a local path only), unless
 * `prompt=login` asks for the person to prove who they are again (OIDC prompt=login, SAML
 * ForceAuthn). `POST /signin` checks the password against the person's identity source, then the
 * next steps (MFA, a new password) follow; the last one sets the session and redirects (303).
 * `POST /signout` ends the session.
 */
export function signInRoutes(runtime: Runtime): Router {
  const router = new Router();
  router.use(pageErrors(runtime.log));

  const renderForm = (
    ctx: Context,
    status: number,
    view: { returnTo: string; forceLogin: boolean; userName?: string; error?: string },
  ) => sendPage(ctx, status, signInPage({ csrf: csrfToken(runtime, ctx), ...view }));

  router.get('/signin', async (ctx) => {
    const returnTo = safeReturnTo(ctx.query['return_to']);
    const forceLogin = ctx.query['prompt'] === 'login';
    if (!forceLogin && (await currentSession(runtime, ctx))) return seeOther(ctx, returnTo);
    renderForm(ctx, 200, { returnTo, forceLogin });
  });

  router.post('/signin', async (ctx) => {
    const form = await readCheckedForm(runtime, ctx);
    if (!form) return;
    const returnTo = safeReturnTo(form.get('return_to'));
    const forceLogin = form.get('prompt') === 'login';
    const userName = (form.get('username') ?? '').trim().slice(0, 256);
    const password = form.get('password') ?? '';
    const result = await signInWithPassword(runtime, userName, password, signInContext(ctx));
    switch (result.outcome) {
      case 'bad_credentials':
      case 'locked':
        return renderForm(ctx, 401, { returnTo, forceLogin, userName, error: SIGN_IN_FAILED });
      case 'unavailable':
        return renderForm(ctx, 503, {
          returnTo,
          forceLogin,
          userName,
          error: 'Your directory cannot be reached right now. Try again in a minute.',
        });
      case 'disabled':
        return sendPage(
          ctx,
          403,
          errorPage('Account disabled', 'This account is disabled. Ask an administrator if you need access.'),
        );
      case 'must_change':
        if (result.user.source !== 'builtin') {
          return sendPage(
            ctx,
            403,
            errorPage(
              'Password expired',
              'Your directory password has expired or must be changed. Change it with your organisation’s usual tools, then sign in again.',
            ),
          );
        }
        break;
      case 'ok':
        break;
    }
    const now = Date.now();
    const flow = {
      userId: result.user.id,
      userName: result.user.userName,
      returnTo,
      amr: [...AMR_PASSWORD],
      mfaDone: false,
      mustChange: result.outcome === 'must_change',
      authTime: now,
      expiresAt: now + FLOW_TTL_MS,
    };
    const step = await stepOf(runtime, flow, result.user);
    if (step === 'done') {
      await finishSignIn(runtime, ctx, result.user, flow);
      return seeOther(ctx, returnTo);
    }
    saveFlow(runtime, ctx, flow);
    seeOther(ctx, STEP_PATHS[step]);
  });

  router.post('/signout', async (ctx) => {
    const form = await readCheckedForm(runtime, ctx);
    if (!form) return;
    await endSession(runtime, ctx, 'signout');
    seeOther(ctx, '/signin');
  });

  return router;
}
