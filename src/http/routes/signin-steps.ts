import Router from '@koa/router';
import type { Context } from 'koa';
import { changePasswordPage, enrolPage, mfaPage, recoveryCodesPage } from '../../../views/signin.ts';
import { audit } from '../../audit/audit.ts';
import {
  confirmTotpEnrolment,
  pendingEnrolment,
  startTotpEnrolment,
  verifyTotp,
} from '../../auth/mfa/devices.ts';
import { redeemRecoveryCode, regenerateRecoveryCodes } from '../../auth/mfa/recovery-codes.ts';
import { changePassword } from '../../auth/passwords.ts';
import { signInThrottle } from '../../auth/verify-password.ts';
import type { User } from '../../directory/users.ts';
import { GatehouseError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { AMR_PASSWORD_OTP } from '../../sessions/assurance.ts';
import { csrfToken, readCheckedForm } from '../csrf.ts';
import { seeOther, sendPage } from '../page.ts';
import { pageErrors } from '../page-errors.ts';
import { qrSvg } from '../qr.ts';
import { finishSignIn, flowUser, STEP_PATHS, signInContext, stepOf } from '../signin-finish.ts';
import { readFlow, type SignInFlow, saveFlow } from '../signin-flow.ts';
import { SIGN_IN_FAILED } from './signin.ts';

const WRONG_CODE = 'That code did not work. Enter the code your app shows now (each code works once).';

/**
 * The steps after the password: `/signin/mfa` (a TOTP or recovery code), `/signin/enrol`
 * (setting up an authenticator where MFA is required and the person has none; no way round it),
 * `/signin/password` (a new password after a reset or when it expired). Each step works from the
 * sealed flow cookie, re-reads the user, and sends the browser to whatever step comes next.
 */
export function signInStepRoutes(runtime: Runtime): Router {
  const router = new Router();
  router.use(pageErrors(runtime.log));
  const { db, keys } = runtime;

  /** The flow and its user, or a redirect to start again (expired, disabled meanwhile, …). */
  async function load(ctx: Context, step: string): Promise<{ flow: SignInFlow; user: User } | undefined> {
    const flow = readFlow(runtime, ctx);
    const user = flow && (await flowUser(runtime, flow));
    if (!flow || !user) {
      seeOther(ctx, '/signin');
      return undefined;
    }
    const expected = await stepOf(runtime, flow, user);
    if (expected === 'done' || STEP_PATHS[expected] !== step) {
      await advance(ctx, flow, user);
      return undefined;
    }
    return { flow, user };
  }

  /** After a step: the next step's page, or the end of the sign-in. */
  async function advance(ctx: Context, flow: SignInFlow, user: User): Promise<void> {
    const step = await stepOf(runtime, flow, user);
    if (step === 'done') {
      await finishSignIn(runtime, ctx, user, flow);
      return seeOther(ctx, flow.returnTo);
    }
    saveFlow(runtime, ctx, flow);
    seeOther(ctx, STEP_PATHS[step]);
  }

  const mfaForm = (ctx: Context, status: number, flow: SignInFlow, error?: string) =>
    sendPage(
      ctx,
      status,
      mfaPage({ csrf: csrfToken(runtime, ctx), userName: flow.userName, returnTo: flow.returnTo, error }),
    );

  router.get('/signin/mfa', async (ctx) => {
    const loaded = await load(ctx, '/signin/mfa');
    if (loaded) mfaForm(ctx, 200, loaded.flow);
  });

  router.post('/signin/mfa', async (ctx) => {
    const form = await readCheckedForm(runtime, ctx);
    if (!form) return;
    const loaded = await load(ctx, '/signin/mfa');
    if (!loaded) return;
    const { flow, user } = loaded;
    const context = signInContext(ctx, user.id);
    const throttle = signInThrottle(db, user.userName, context);
    if ((await throttle.lockedFor()) !== undefined) {
      await throttle.refused('totp');
      return mfaForm(ctx, 401, flow, SIGN_IN_FAILED);
    }
    const code = (form.get('code') ?? '').trim().slice(0, 64);
    const isTotp = /^\d{3}\s?\d{3}$/.test(code);
    const ok = isTotp
      ? await verifyTotp(db, keys, user.id, code)
      : (await redeemRecoveryCode(db, user.id, code))
        ? ({ ok: true } as const)
        : ({ ok: false, reason: 'wrong_code' } as const);
    const method = isTotp ? 'totp' : 'recovery_code';
    if (!ok.ok) {
      await throttle.failure(ok.reason === 'replayed' ? 'replayed_code' : 'wrong_code', user, method);
      return mfaForm(ctx, 401, flow, WRONG_CODE);
    }
    await throttle.success();
    await db.transaction((tx) =>
      audit(tx, context, { action: 'auth.mfa', target: `user:${user.id}`, details: { method } }),
    );
    await advance(ctx, { ...flow, mfaDone: true, amr: [...AMR_PASSWORD_OTP] }, user);
  });

  async function enrolForm(ctx: Context, status: number, flow: SignInFlow, user: User, error?: string) {
    const pending = flow.deviceId ? await pendingEnrolment(db, keys, user, flow.deviceId) : undefined;
    const enrolment = pending ?? (await startTotpEnrolment(db, keys, user));
    saveFlow(runtime, ctx, { ...flow, deviceId: enrolment.deviceId });
    sendPage(
      ctx,
      status,
      enrolPage({
        csrf: csrfToken(runtime, ctx),
        userName: user.userName,
        deviceId: enrolment.deviceId,
        secret: enrolment.secret,
        qrSvg: await qrSvg(enrolment.uri),
        action: '/signin/enrol',
        required: true,
        error,
      }),
    );
  }

  router.get('/signin/enrol', async (ctx) => {
    const loaded = await load(ctx, '/signin/enrol');
    if (loaded) await enrolForm(ctx, 200, loaded.flow, loaded.user);
  });

  router.post('/signin/enrol', async (ctx) => {
    const form = await readCheckedForm(runtime, ctx);
    if (!form) return;
    const loaded = await load(ctx, '/signin/enrol');
    if (!loaded) return;
    const { flow, user } = loaded;
    const deviceId = form.get('device') ?? '';
    if (deviceId !== flow.deviceId) return enrolForm(ctx, 400, flow, user, WRONG_CODE);
    const context = signInContext(ctx, user.id);
    const codes = await db.transaction(async (tx) => {
      if (!(await confirmTotpEnrolment(tx, context, keys, user.id, deviceId, form.get('code') ?? '')))
        return undefined;
      return regenerateRecoveryCodes(tx, context, user.id);
    });
    if (!codes) return enrolForm(ctx, 400, flow, user, WRONG_CODE);
    const next = { ...flow, mfaDone: true, amr: [...AMR_PASSWORD_OTP] };
    const { deviceId: _spent, ...rest } = next;
    const step = await stepOf(runtime, rest, user);
    // Show the recovery codes once; the link carries on to the next step or to where the person was going.
    if (step === 'done') await finishSignIn(runtime, ctx, user, rest);
    else saveFlow(runtime, ctx, rest);
    sendPage(ctx, 200, recoveryCodesPage(codes, step === 'done' ? rest.returnTo : STEP_PATHS[step]));
  });

  const passwordForm = (ctx: Context, status: number, flow: SignInFlow, errors?: string[]) =>
    sendPage(
      ctx,
      status,
      changePasswordPage({
        csrf: csrfToken(runtime, ctx),
        userName: flow.userName,
        minLength: runtime.config.passwordPolicy.minLength,
        action: '/signin/password',
        reason: 'Your password was reset or has expired: choose a new one to finish signing in.',
        errors,
      }),
    );

  router.get('/signin/password', async (ctx) => {
    const loaded = await load(ctx, '/signin/password');
    if (loaded) passwordForm(ctx, 200, loaded.flow);
  });

  router.post('/signin/password', async (ctx) => {
    const form = await readCheckedForm(runtime, ctx);
    if (!form) return;
    const loaded = await load(ctx, '/signin/password');
    if (!loaded) return;
    const { flow, user } = loaded;
    const next = form.get('password') ?? '';
    if (next !== (form.get('confirm') ?? '')) {
      return passwordForm(ctx, 400, flow, ['The two new passwords are not the same.']);
    }
    const problems = await passwordProblems(() =>
      db.transaction((tx) =>
        changePassword(
          tx,
          signInContext(ctx, user.id),
          user.id,
          form.get('current') ?? '',
          next,
          runtime.config.passwordPolicy,
        ),
      ),
    );
    if (problems) return passwordForm(ctx, 400, flow, problems);
    await advance(ctx, { ...flow, mustChange: false }, user);
  });

  return router;
}

/** Runs a password change; a refusal (policy, history, wrong current password) becomes messages. */
export async function passwordProblems(change: () => Promise<void>): Promise<string[] | undefined> {
  try {
    await change();
    return undefined;
  } catch (error) {
    if (error instanceof GatehouseError && error.kind === 'invalid') {
      const problems = (error.details?.['problems'] as { message: string }[] | undefined)?.map(
        (p) => p.message,
      );
      return problems ?? [error.message];
    }
    throw error;
  }
}
