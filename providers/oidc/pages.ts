import type { KoaContextWithOIDC } from 'oidc-provider';
import {
  deviceConfirmPage,
  deviceDonePage,
  deviceInputPage,
  loggedOutPage,
  logoutPage,
  oidcErrorPage,
} from '../../views/oidc.ts';

/**
 * The pages oidc-provider renders itself (device code entry and confirmation, logout, errors),
 * drawn with Gatehouse's views. The provider hands over ready-made form markup; only its target
 * and anti-forgery token (`xsrf`, bound to the provider's cookie) are taken from it, so that the
 * forms are ours: labelled, no inline script.
 */
function formParts(form: string): { action: string; xsrf: string } {
  const action = /action="([^"]*)"/.exec(form)?.[1] ?? '';
  const xsrf = /name="xsrf" value="([^"]*)"/.exec(form)?.[1] ?? '';
  // The provider escaped nothing else into these attributes; undo only HTML's own escaping.
  return { action: unescapeAttribute(action), xsrf: unescapeAttribute(xsrf) };
}
const unescapeAttribute = (text: string) =>
  text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

const html = (ctx: KoaContextWithOIDC, body: string) => {
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
};

export const requestIdOf = (ctx: KoaContextWithOIDC): string =>
  String(ctx.res.getHeader('x-request-id') ?? '');

const clientName = (ctx: KoaContextWithOIDC) => ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;

export const pages = {
  async deviceInput(ctx: KoaContextWithOIDC, form: string, _out?: unknown, err?: unknown): Promise<void> {
    const userCode =
      typeof ctx.oidc.params?.['user_code'] === 'string' ? ctx.oidc.params['user_code'] : undefined;
    html(
      ctx,
      deviceInputPage({
        ...formParts(form),
        ...(userCode ? { userCode } : {}),
        ...(err ? { error: 'That code is not valid, or it has expired. Check it and try again.' } : {}),
      }),
    );
  },
  async deviceConfirm(
    ctx: KoaContextWithOIDC,
    form: string,
    _client: unknown,
    _info: unknown,
    userCode: string,
  ) {
    html(
      ctx,
      deviceConfirmPage({ ...formParts(form), userCode, clientName: clientName(ctx) ?? 'An application' }),
    );
  },
  async deviceDone(ctx: KoaContextWithOIDC) {
    html(ctx, deviceDonePage(clientName(ctx)));
  },
  async logout(ctx: KoaContextWithOIDC, form: string) {
    html(ctx, logoutPage({ ...formParts(form), clientName: clientName(ctx) }));
  },
  async loggedOut(ctx: KoaContextWithOIDC) {
    html(ctx, loggedOutPage());
  },
  /** Never the description: it may name clients, URIs or internal state. */
  async error(ctx: KoaContextWithOIDC, out: { error: string }, _error: unknown) {
    html(ctx, oidcErrorPage(out.error, requestIdOf(ctx)));
  },
};
