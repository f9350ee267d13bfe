import Router from '@koa/router';
import type { Context } from 'koa';
import { formExpiredPage } from '../../../views/errors.ts';
import { messagePage, passwordSetPage, setupPage } from '../../../views/setup.ts';
import { setPasswordWithToken } from '../../auth/passwords.ts';
import { peekSetupToken, redeemSetupToken } from '../../directory/bootstrap.ts';
import { getUser } from '../../directory/users.ts';
import { GatehouseError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { readForm } from '../body.ts';
import { csrfToken, csrfValid } from '../csrf.ts';

const LINK_PURPOSES = new Set(['root-setup', 'password-reset']);

/**
 * `/setup?token=…`: the page behind one-time set-up and reset links. The GET only looks at the
 * token; the POST spends it and sets the password in one transaction, so a password the policy
 * refuses leaves the link usable. Forms carry the CSRF token of every page (csrf.ts).
 */
export function setupRoutes(runtime: Runtime): Router {
  const router = new Router();
  const { db, config } = runtime;

  const render = (ctx: Context, status: number, body: string) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };
  const invalidLink = (ctx: Context) =>
    render(
      ctx,
      404,
      messagePage(
        'Link not valid',
        'This link has expired or was used already. Ask an administrator for a new one.',
      ),
    );

  router.get('/setup', async (ctx) => {
    const token = typeof ctx.query['token'] === 'string' ? ctx.query['token'] : '';
    const found = token ? await peekSetupToken(db, token) : undefined;
    if (!found || !LINK_PURPOSES.has(found.purpose)) return invalidLink(ctx);
    const user = await getUser(db, found.userId);
    const csrf = csrfToken(runtime, ctx);
    render(
      ctx,
      200,
      setupPage({ token, csrf, userName: user.userName, minLength: config.passwordPolicy.minLength }),
    );
  });

  router.post('/setup', async (ctx) => {
    const form = await readForm(ctx, 16 * 1024);
    const token = form.get('token') ?? '';
    if (!csrfValid(runtime, ctx, form)) return render(ctx, 403, formExpiredPage());
    const found = token ? await peekSetupToken(db, token) : undefined;
    if (!found || !LINK_PURPOSES.has(found.purpose)) return invalidLink(ctx);
    const user = await getUser(db, found.userId);
    const password = form.get('password') ?? '';
    const again = (errors: string[]) =>
      render(
        ctx,
        400,
        setupPage({
          token,
          csrf: csrfToken(runtime, ctx),
          userName: user.userName,
          minLength: config.passwordPolicy.minLength,
          errors,
        }),
      );
    if (password !== (form.get('confirm') ?? '')) return again(['The two passwords are not the same.']);
    const context = { actor: `user:${user.id}`, ip: ctx.ip, requestId: ctx.state['requestId'] as string };
    try {
      await db.transaction(async (tx) => {
        if (!(await redeemSetupToken(tx, token, found.purpose)))
          throw new GatehouseError('not_found', 'setup.used', 'link used');
        await setPasswordWithToken(tx, context, user.id, password, config.passwordPolicy);
      });
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'setup.used') return invalidLink(ctx);
      if (error instanceof GatehouseError && error.kind === 'invalid') {
        const problems = (error.details?.['problems'] as { message: string }[] | undefined)?.map(
          (p) => p.message,
        );
        return again(problems ?? [error.message]);
      }
      throw error;
    }
    render(
      ctx,
      200,
      passwordSetPage(
        user.isRoot
          ? 'The root administrator has a password. At the first sign-in you will enrol a second factor; it cannot be skipped.'
          : 'Your password is set. You can sign in now.',
      ),
    );
  });
  return router;
}
