import type Router from '@koa/router';
import type { Context } from 'koa';
import type { InteractionResults } from 'oidc-provider';
import { admitToClient } from '../../src/clients/client-access.ts';
import { recordConsent } from '../../src/clients/consent.ts';
import { findUser } from '../../src/directory/users.ts';
import type { Runtime } from '../../src/runtime.ts';
import { consentPage, continuePage, oidcErrorPage } from '../../views/oidc.ts';
import { extendGrant, grantableApiScopes, OIDC_PREFIX } from './configuration.ts';
import {
  csrfToken,
  currentSession,
  type PortalSession,
  readCheckedForm,
  seeOther,
  sendPage,
} from './portal.ts';
import type { OidcProvider } from './provider.ts';
import { withoutFormAction } from './security.ts';

type Interaction = Awaited<ReturnType<ReturnType<OidcProvider['current']>['interactionDetails']>>;

const interactionPath = (uid: string) => `${OIDC_PREFIX}/interaction/${uid}`;

/** The portal's sign-in page, coming back here afterwards (a relative path: no open redirect). */
const signInUrl = (uid: string, fresh: boolean) =>
  `/signin?return_to=${encodeURIComponent(interactionPath(uid))}${fresh ? '&prompt=login' : ''}`;

/**
 * Whether the client asked for a sign-in more recent than the portal session's: `prompt=login`
 * (a sign-in after this request began) or `max_age` (a sign-in within that many seconds).
 */
function needsFreshSignIn(interaction: Interaction, session: PortalSession): boolean {
  const authTime = session.authTime.getTime();
  // A sign-in after this authorization request began satisfies both. `iat` is in whole seconds: a
  // sign-in within the same second may predate the request, so only a later second counts.
  if (authTime >= (interaction.iat + 1) * 1000) return false;
  if (interaction.prompt.reasons.includes('login_prompt')) return true;
  const maxAge = Number(interaction.params['max_age']);
  return (
    interaction.params['max_age'] !== undefined &&
    Number.isFinite(maxAge) &&
    authTime < Date.now() - maxAge * 1000
  );
}

/**
 * `/oidc/interaction/:uid`: where the provider sends the browser when it needs the person. The
 * portal session answers "who": without one (or when the client wants a fresh sign-in) the
 * browser goes to the sign-in page and comes back. Third-party clients then ask for consent;
 * first-party clients were granted without asking (configuration.ts, loadExistingGrant).
 */
export function interactionRoutes(router: Router, runtime: Runtime, oidc: OidcProvider): void {
  const fail = (ctx: Context, status: number, error: string) =>
    sendPage(ctx, status, oidcErrorPage(error, String(ctx.state['requestId'] ?? '')));

  async function details(ctx: Context): Promise<Interaction | undefined> {
    try {
      const interaction = await oidc.current().interactionDetails(ctx.req, ctx.res);
      if (interaction.uid === ctx.params['uid']) return interaction;
    } catch {
      // Expired, unknown, or the interaction cookie is missing: nothing to resume.
    }
    fail(ctx, 400, 'session_not_found');
    return undefined;
  }

  /**
   * Sends the browser on to the provider. A request that arrives at the end of a same-origin
   * redirect chain may have started with one of our forms (the sign-in page); browsers apply that
   * form's `form-action` to every redirect of the chain, including the last one to the
   * application. A page that moves on by itself ends the chain.
   */
  async function proceed(ctx: Context, result: InteractionResults, merge = false): Promise<void> {
    const location = await oidc
      .current()
      .interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    if (ctx.method === 'GET' && ctx.get('sec-fetch-site') === 'same-origin') {
      sendPage(ctx, 200, continuePage(location));
    } else seeOther(ctx, location);
  }

  router.get(`${OIDC_PREFIX}/interaction/:uid`, async (ctx) => {
    const interaction = await details(ctx);
    if (!interaction) return;
    const clientId = String(interaction.params['client_id'] ?? '');
    const session = await currentSession(runtime, ctx);

    if (interaction.prompt.name === 'login') {
      if (!session) return seeOther(ctx, signInUrl(interaction.uid, false));
      if (needsFreshSignIn(interaction, session)) return seeOther(ctx, signInUrl(interaction.uid, true));
      const context = {
        actor: `user:${session.userId}`,
        ip: ctx.ip,
        requestId: String(ctx.state['requestId'] ?? '') || null,
      };
      if (!(await admitToClient(runtime.db, context, session.userId, clientId))) {
        return proceed(ctx, {
          error: 'access_denied',
          error_description: 'this application is not assigned to you',
        });
      }
      return proceed(ctx, {
        login: {
          accountId: session.userId,
          acr: session.acr,
          amr: session.amr,
          ts: Math.floor(session.authTime.getTime() / 1000),
          remember: false,
        },
      });
    }

    if (interaction.prompt.name === 'consent') {
      if (!session || session.userId !== interaction.session?.accountId)
        return seeOther(ctx, signInUrl(interaction.uid, false));
      const client = await oidc.current().Client.find(clientId);
      const user = await findUser(runtime.db, session.userId);
      if (!client || !user) return fail(ctx, 400, 'invalid_request');
      const scopes = await consentScopes(ctx, interaction, session.userId);
      ctx.set('Content-Security-Policy', withoutFormAction(ctx));
      return sendPage(
        ctx,
        200,
        consentPage({
          action: `${interactionPath(interaction.uid)}/confirm`,
          csrf: csrfToken(runtime, ctx),
          clientName: client.clientName ?? client.clientId,
          userName: user.userName,
          scopes,
        }),
      );
    }
    return fail(ctx, 400, 'invalid_request');
  });

  router.post(`${OIDC_PREFIX}/interaction/:uid/confirm`, async (ctx) => {
    const form = await readCheckedForm(runtime, ctx);
    if (!form) return;
    const interaction = await details(ctx);
    if (!interaction) return;
    const session = await currentSession(runtime, ctx);
    const accountId = interaction.session?.accountId;
    if (interaction.prompt.name !== 'consent' || !session || !accountId || session.userId !== accountId)
      return fail(ctx, 400, 'session_not_found');
    const clientId = String(interaction.params['client_id']);
    const audit = {
      actor: `user:${accountId}`,
      ip: ctx.ip,
      requestId: String(ctx.state['requestId'] ?? '') || null,
    };
    if (form.get('decision') !== 'allow') {
      await recordConsent(runtime.db, audit, clientId, 'deny', []);
      return proceed(ctx, { error: 'access_denied', error_description: 'the person refused access' }, true);
    }
    const provider = oidc.current();
    const grant =
      (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId });
    const missing = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    await extendGrant(runtime, ctx, grant, {
      oidcScopes: missing.missingOIDCScope ?? [],
      claims: missing.missingOIDCClaims ?? [],
      resourceScopes: missing.missingResourceScopes ?? {},
    });
    const grantId = await grant.save();
    await recordConsent(runtime.db, audit, clientId, 'allow', [
      ...(missing.missingOIDCScope ?? []),
      ...Object.values(missing.missingResourceScopes ?? {}).flat(),
    ]);
    return proceed(ctx, { consent: { grantId } }, true);
  });

  /** What the consent page lists: the OpenID scopes asked for, and the API scopes the person may hold. */
  async function consentScopes(ctx: Context, interaction: Interaction, userId: string): Promise<string[]> {
    const missing = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const scopes = new Set(missing.missingOIDCScope ?? []);
    for (const requested of Object.values(missing.missingResourceScopes ?? {})) {
      for (const s of await grantableApiScopes(runtime, ctx, userId, requested)) scopes.add(s);
    }
    return [...scopes];
  }
}
