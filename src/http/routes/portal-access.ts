import Router from '@koa/router';
import type { Context } from 'koa';
import { accessPage, credentialsPage } from '../../../views/credentials.ts';
import { effectiveAccess } from '../../access/assignments.ts';
import { getUser } from '../../directory/users.ts';
import { GatehouseError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { csrfToken, readCheckedForm } from '../csrf.ts';
import { seeOther, sendPage } from '../page.ts';
import { pageErrors } from '../page-errors.ts';
import { currentSession } from '../portal-session.ts';
import { signInContext } from '../signin-finish.ts';

/**
 * The portal's accounts: `/access` lists the signed-in person's accounts → permission sets, and a
 * CSRF-checked POST turns one of them into credentials, shown once as environment variables, an
 * `~/.aws/credentials` block and a `credential_process` profile. The credentials belong to the
 * portal session: signing out (or having it ended) kills them on every node.
 */
export function portalAccessRoutes(runtime: Runtime): Router {
  const router = new Router();
  router.use(pageErrors(runtime.log));
  const { db } = runtime;

  async function signedIn(ctx: Context) {
    const session = await currentSession(runtime, ctx);
    if (!session) {
      seeOther(ctx, '/signin?return_to=%2Faccess');
      return undefined;
    }
    return { session, user: await getUser(db, session.userId) };
  }

  router.get('/access', async (ctx) => {
    const me = await signedIn(ctx);
    if (!me) return;
    const access = await effectiveAccess(db, me.user.id);
    sendPage(
      ctx,
      200,
      accessPage({
        userName: me.user.userName,
        csrf: csrfToken(runtime, ctx),
        action: '/access/credentials',
        access: access.map((a) => ({
          accountId: a.accountId,
          accountName: a.accountName,
          permissionSetId: a.permissionSetId,
          permissionSetName: a.permissionSetName,
          sessionDuration: a.sessionDuration,
        })),
      }),
    );
  });

  router.post('/access/credentials', async (ctx) => {
    const form = await readCheckedForm(runtime, ctx);
    if (!form) return;
    const me = await signedIn(ctx);
    if (!me) return;
    const accountId = form.get('accountId') ?? '';
    const permissionSetId = form.get('permissionSetId') ?? '';
    const held = (await effectiveAccess(db, me.user.id)).find(
      (a) => a.accountId === accountId && a.permissionSetId === permissionSetId,
    );
    if (!held) {
      throw new GatehouseError(
        'forbidden',
        'access.not_assigned',
        'you do not hold that permission set in that account',
      );
    }
    const credentials = await runtime.access.issuer.issue(
      {
        userId: me.user.id,
        accountId,
        permissionSetId,
        mfa: me.session.mfa,
        sourceIdentity: me.user.userName,
        sessionId: me.session.id,
      },
      signInContext(ctx, me.user.id),
    );
    sendPage(
      ctx,
      200,
      credentialsPage({
        accountId,
        accountName: held.accountName,
        permissionSetName: held.permissionSetName,
        credentials,
        url: runtime.config.url,
      }),
    );
  });

  return router;
}
