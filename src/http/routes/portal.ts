import Router from '@koa/router';
import type { Context } from 'koa';
import { errorPage } from '../../../views/errors.ts';
import {
  type PortalAccount,
  type PortalApplication,
  type PortalView,
  portalPage,
} from '../../../views/portal.ts';
import { changePasswordPage, enrolPage, recoveryCodesPage } from '../../../views/signin.ts';
import {
  confirmTotpEnrolment,
  hasSecondFactor,
  listTotpDevices,
  pendingEnrolment,
  removeTotpDevice,
  startTotpEnrolment,
} from '../../auth/mfa/devices.ts';
import { isAdministrator, mfaRequired } from '../../auth/mfa/policy.ts';
import { regenerateRecoveryCodes, remainingRecoveryCodes } from '../../auth/mfa/recovery-codes.ts';
import { changePassword } from '../../auth/passwords.ts';
import { effectiveGroups } from '../../directory/members.ts';
import { getUser, type User } from '../../directory/users.ts';
import { GatehouseError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { endSession, listUserSessions } from '../../sessions/sessions.ts';
import type { PortalSession } from '../../sessions/types.ts';
import { csrfToken, readCheckedForm } from '../csrf.ts';
import { seeOther, sendPage } from '../page.ts';
import { pageErrors } from '../page-errors.ts';
import { clearSessionCookie, currentSession } from '../portal-session.ts';
import { qrSvg } from '../qr.ts';
import { signInContext } from '../signin-finish.ts';
import { passwordProblems } from './signin-steps.ts';

/** Messages shown after a change (`/?notice=…`): fixed texts, nothing from the URL is echoed. */
const NOTICES: Record<string, string> = {
  password_changed: 'Your password was changed.',
  mfa_added: 'The authenticator was added.',
  mfa_removed: 'The authenticator was removed.',
  session_ended: 'That session was ended.',
};

/**
 * What later modules show in the portal: the accounts (with permission sets) and the applications
 * a person may use. Each is asked for the signed-in user's data; absent, the section says none.
 */
export interface PortalSources {
  accounts?: (userId: string) => Promise<PortalAccount[]>;
  applications?: (userId: string) => Promise<PortalApplication[]>;
}

/**
 * The user portal at `/`: profile, second factors, recovery codes, password (built-in users),
 * sessions; accounts and applications are rendered from data that later modules provide.
 * Every page needs a live session (else: sign in, then come back); every change is a CSRF-checked
 * POST answered with a redirect.
 */
export function portalRoutes(runtime: Runtime, sources: PortalSources = {}): Router {
  const router = new Router();
  router.use(pageErrors(runtime.log));
  const { db, keys } = runtime;

  /** The session and its user, or a redirect to sign in and come back to `returnTo`. */
  async function signedIn(
    ctx: Context,
    returnTo: string,
  ): Promise<{ session: PortalSession; user: User } | undefined> {
    const session = await currentSession(runtime, ctx);
    if (!session) {
      seeOther(ctx, `/signin?return_to=${encodeURIComponent(returnTo)}`);
      return undefined;
    }
    return { session, user: await getUser(db, session.userId) };
  }

  async function render(ctx: Context, session: PortalSession, user: User, status = 200, error?: string) {
    const notice = NOTICES[String(ctx.query['notice'] ?? '')];
    const [groups, devices, left, required, admin, sessions, accounts, applications] = await Promise.all([
      effectiveGroups(db, user.id),
      listTotpDevices(db, user.id),
      remainingRecoveryCodes(db, user.id),
      mfaRequired(db, runtime.config, user),
      isAdministrator(db, user, runtime.config.administrators.group),
      listUserSessions(db, user.id, runtime.config.sessions),
      sources.accounts?.(user.id) ?? [],
      sources.applications?.(user.id) ?? [],
    ]);
    const view: PortalView = {
      csrf: csrfToken(runtime, ctx),
      ...(notice ? { notice } : {}),
      ...(error || (required && devices.length === 0)
        ? { error: error ?? 'A second factor is required for you: add an authenticator app now.' }
        : {}),
      profile: {
        userName: user.userName,
        displayName: user.displayName,
        emails: user.emails.map((e) => e.value),
        source: user.source,
        groups: groups.map((g) => g.name),
        administrator: admin,
      },
      devices,
      recoveryCodesLeft: left,
      mfaRequired: required,
      canChangePassword: user.source === 'builtin',
      sessions: sessions.map((s) => ({ ...s, current: s.id === session.id })),
      accounts,
      applications,
    };
    sendPage(ctx, status, portalPage(view));
  }

  router.get('/', async (ctx) => {
    const me = await signedIn(ctx, '/');
    if (me) await render(ctx, me.session, me.user);
  });

  /** A POST from a portal page: CSRF checked, session required. */
  async function portalPost(ctx: Context) {
    const form = await readCheckedForm(runtime, ctx);
    if (!form) return undefined;
    const me = await signedIn(ctx, '/');
    return me && { ...me, form, context: signInContext(ctx, me.user.id) };
  }

  async function showEnrolment(ctx: Context, user: User, deviceId: string | undefined, error?: string) {
    const enrolment =
      (deviceId ? await pendingEnrolment(db, keys, user, deviceId) : undefined) ??
      (await startTotpEnrolment(db, keys, user));
    sendPage(
      ctx,
      error ? 400 : 200,
      enrolPage({
        csrf: csrfToken(runtime, ctx),
        userName: user.userName,
        deviceId: enrolment.deviceId,
        secret: enrolment.secret,
        qrSvg: await qrSvg(enrolment.uri),
        action: '/portal/mfa/confirm',
        required: false,
        error,
      }),
    );
  }

  router.post('/portal/mfa/new', async (ctx) => {
    const me = await portalPost(ctx);
    if (me) await showEnrolment(ctx, me.user, undefined);
  });

  router.post('/portal/mfa/confirm', async (ctx) => {
    const me = await portalPost(ctx);
    if (!me) return;
    const deviceId = me.form.get('device') ?? '';
    const first = !(await hasSecondFactor(db, me.user.id));
    const codes = await db.transaction(async (tx) => {
      const ok = await confirmTotpEnrolment(
        tx,
        me.context,
        keys,
        me.user.id,
        deviceId,
        me.form.get('code') ?? '',
      );
      if (!ok) return undefined;
      return first ? regenerateRecoveryCodes(tx, me.context, me.user.id) : [];
    });
    if (!codes) {
      return showEnrolment(
        ctx,
        me.user,
        deviceId,
        'That code did not work. Enter the code your app shows now.',
      );
    }
    if (codes.length) return sendPage(ctx, 200, recoveryCodesPage(codes, '/?notice=mfa_added'));
    seeOther(ctx, '/?notice=mfa_added');
  });

  router.post('/portal/mfa/remove', async (ctx) => {
    const me = await portalPost(ctx);
    if (!me) return;
    const required = await mfaRequired(db, runtime.config, me.user);
    try {
      await db.transaction((tx) =>
        removeTotpDevice(tx, me.context, me.user.id, me.form.get('device') ?? '', { mfaRequired: required }),
      );
    } catch (error) {
      if (error instanceof GatehouseError && (error.kind === 'conflict' || error.kind === 'not_found')) {
        return render(ctx, me.session, me.user, error.kind === 'conflict' ? 409 : 404, error.message);
      }
      throw error;
    }
    seeOther(ctx, '/?notice=mfa_removed');
  });

  router.post('/portal/recovery-codes', async (ctx) => {
    const me = await portalPost(ctx);
    if (!me) return;
    if (!(await hasSecondFactor(db, me.user.id))) {
      return render(ctx, me.session, me.user, 409, 'Add an authenticator app first.');
    }
    const codes = await db.transaction((tx) => regenerateRecoveryCodes(tx, me.context, me.user.id));
    sendPage(ctx, 200, recoveryCodesPage(codes, '/'));
  });

  const passwordForm = (ctx: Context, user: User, status: number, errors?: string[]) =>
    sendPage(
      ctx,
      status,
      changePasswordPage({
        csrf: csrfToken(runtime, ctx),
        userName: user.userName,
        minLength: runtime.config.passwordPolicy.minLength,
        action: '/portal/password',
        reason: 'Enter your current password, then the new one twice.',
        errors,
      }),
    );

  const directoryPassword = (ctx: Context) =>
    sendPage(
      ctx,
      409,
      errorPage('Password managed elsewhere', 'Your password is managed by your organisation’s directory.', {
        href: '/',
        text: 'Back to the portal',
      }),
    );

  router.get('/portal/password', async (ctx) => {
    const me = await signedIn(ctx, '/portal/password');
    if (!me) return;
    if (me.user.source !== 'builtin') return directoryPassword(ctx);
    passwordForm(ctx, me.user, 200);
  });

  router.post('/portal/password', async (ctx) => {
    const me = await portalPost(ctx);
    if (!me) return;
    if (me.user.source !== 'builtin') return directoryPassword(ctx);
    const next = me.form.get('password') ?? '';
    if (next !== (me.form.get('confirm') ?? '')) {
      return passwordForm(ctx, me.user, 400, ['The two new passwords are not the same.']);
    }
    const problems = await passwordProblems(() =>
      db.transaction((tx) =>
        changePassword(
          tx,
          me.context,
          me.user.id,
          me.form.get('current') ?? '',
          next,
          runtime.config.passwordPolicy,
        ),
      ),
    );
    if (problems) return passwordForm(ctx, me.user, 400, problems);
    seeOther(ctx, '/?notice=password_changed');
  });

  router.post('/portal/sessions/end', async (ctx) => {
    const me = await portalPost(ctx);
    if (!me) return;
    const id = me.form.get('session') ?? '';
    await endSession(db, me.context, id, 'ended_by_user', { userId: me.user.id });
    if (id === me.session.id) {
      clearSessionCookie(runtime, ctx);
      return seeOther(ctx, '/signin');
    }
    seeOther(ctx, '/?notice=session_ended');
  });
  return router;
}
