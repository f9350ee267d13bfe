import { createHmac, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { requireApplicationAccess } from '../../src/apps/access.ts';
import { findApplication } from '../../src/apps/apps.ts';
import { type AwsRolesOf, noAwsRoles, samlAttributes } from '../../src/apps/attributes.ts';
import { nameIdFor } from '../../src/apps/name-id.ts';
import type { SamlSettings } from '../../src/apps/saml-settings.ts';
import { type AuditContext, audit, auditNow } from '../../src/audit/audit.ts';
import { effectiveGroups } from '../../src/directory/members.ts';
import { getUser } from '../../src/directory/users.ts';
import { GatehouseError, isGatehouseError } from '../../src/errors.ts';
import { readForm } from '../../src/http/body.ts';
import { STATUS_BY_KIND } from '../../src/http/errors.ts';
import { pageErrors } from '../../src/http/page-errors.ts';
import { deriveKey, seal, unseal } from '../../src/keys/seal.ts';
import type { Runtime } from '../../src/runtime.ts';
import { accessDeniedPage, autoPostPage, samlErrorPage, signedOutPage } from '../../views/saml.ts';
import { acceptAuthnRequest, defaultAcs, type LoginRequest, verifySpMessage } from './authn-request.ts';
import { decodePost, decodeRedirect, type Inbound } from './decode.ts';
import { idpEndpoints, idpMetadata } from './entities.ts';
import { logoutRequest, logoutResponse } from './logout-messages.ts';
import { type Delivery, deliver } from './outbound.ts';
import { buildSamlResponse, errorResponse, STATUS } from './response.ts';

/** The portal session as the SAML front door needs it (src/http/portal-session.ts provides it). */
export interface SamlSession {
  id: string;
  userId: string;
  authTime: Date;
  mfa: boolean;
}

export interface SessionPort {
  current(ctx: Context): Promise<SamlSession | undefined>;
  /** Ends the browser's session (and clears its cookie); returns the session that ended. */
  end(ctx: Context): Promise<SamlSession | undefined>;
}

export interface SamlOptions {
  sessions: SessionPort;
  /** The user's AWS assignments, for applications with the aws template (src/access). */
  awsRolesOf?: AwsRolesOf;
}

const RESUME_TTL_MS = 15 * 60_000;

/**
 * The SAML 2.0 identity provider: metadata, SP- and IdP-initiated single sign-on, single logout.
 * Everything refused is an error page (or, for a request that verified, a SAML error status to its
 * registered ACS) and an audit entry; nothing about a bad message becomes a 500.
 */
export function samlRoutes(runtime: Runtime, options: SamlOptions): Router {
  const router = new Router({ prefix: '/saml' });
  // Anything unexpected (a database outage…) is a page too, never JSON in the middle of a sign-in.
  router.use(pageErrors(runtime.log));
  const { db, keys, config } = runtime;
  const endpoints = idpEndpoints(config.url);
  const persistentKey = deriveKey(runtime.masterKey, 'saml-persistent-nameid');
  const sessionIndexKey = deriveKey(runtime.masterKey, 'saml-session-index');
  const awsRolesOf = options.awsRolesOf ?? noAwsRoles;
  const limits = { clockSkewMs: config.saml.clockSkew };

  const auditContext = (ctx: Context, session?: SamlSession): AuditContext => ({
    actor: session ? `user:${session.userId}` : 'anonymous',
    ip: ctx.ip,
    requestId: String(ctx.state['requestId'] ?? '') || null,
  });
  const requestId = (ctx: Context) => String(ctx.state['requestId'] ?? '');

  const html = (ctx: Context, status: number, body: string) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };

  const send = (ctx: Context, delivery: Delivery) => {
    ctx.set('Cache-Control', 'no-store');
    if (delivery.kind === 'redirect') {
      ctx.status = 302;
      ctx.redirect(delivery.url);
      return;
    }
    const nonce = randomBytes(16).toString('base64');
    // This page only posts one form to the SP: its script runs by nonce, its form may leave the site.
    ctx.set(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self'; form-action ${new URL(delivery.action).origin}; frame-ancestors 'none'; base-uri 'none'`,
    );
    html(ctx, 200, autoPostPage({ action: delivery.action, fields: delivery.fields, nonce }));
  };

  /** A refused message: audited, and answered with a page that says what happened (never a 500). */
  const refuse = async (ctx: Context, error: unknown, action: string) => {
    if (!isGatehouseError(error)) throw error;
    await auditNow(db, auditContext(ctx), {
      action,
      outcome: 'failure',
      details: {
        code: error.code,
        ...(error.details?.['issuer'] ? { issuer: error.details['issuer'] } : {}),
      },
    });
    html(
      ctx,
      STATUS_BY_KIND[error.kind],
      samlErrorPage('Sign-in request refused', error.message, requestId(ctx)),
    );
  };

  const sealLogin = (request: LoginRequest) => {
    const key = keys.sealingKey();
    return `${key.kid}.${seal(key.key, Buffer.from(JSON.stringify(request)), 'saml-login')}`;
  };
  const unsealLogin = (state: string): LoginRequest | undefined => {
    const dot = state.indexOf('.');
    const key = dot > 0 ? keys.sealingKeyById(state.slice(0, dot)) : undefined;
    const opened = key && unseal(key.key, state.slice(dot + 1), 'saml-login');
    if (!opened) return undefined;
    const request = JSON.parse(opened.toString()) as LoginRequest;
    return Date.now() - request.receivedAt <= RESUME_TTL_MS ? request : undefined;
  };

  /** Signs the person in to the SP: their session must exist (and be new enough for ForceAuthn). */
  const login = async (ctx: Context, settings: SamlSettings, request: LoginRequest) => {
    const session = await options.sessions.current(ctx);
    const fresh = session && (!request.forceAuthn || session.authTime.getTime() >= request.receivedAt - 1000);
    if (!session || !fresh) {
      if (request.isPassive) {
        return send(
          ctx,
          errorDelivery(settings, request, { code: STATUS.responder, second: STATUS.noPassive }),
        );
      }
      const returnTo = `/saml/sso/resume?state=${encodeURIComponent(sealLogin(request))}`;
      ctx.status = 303;
      ctx.redirect(
        `/signin?return_to=${encodeURIComponent(returnTo)}${request.forceAuthn ? '&prompt=login' : ''}`,
      );
      return;
    }
    const app = await findApplication(db, request.appId);
    if (!app?.saml)
      throw new GatehouseError('not_found', 'saml.unknown_sp', 'this application no longer exists');
    const context = auditContext(ctx, session);
    try {
      await requireApplicationAccess(db, context, app, session.userId, 'saml');
    } catch (error) {
      if (isGatehouseError(error) && error.code === 'apps.access_denied')
        return html(ctx, 403, accessDeniedPage(app.label ?? app.name, requestId(ctx)));
      throw error;
    }
    const user = await getUser(db, session.userId);
    const groups = (await effectiveGroups(db, user.id)).map((g) => g.name);
    const saml = app.saml;
    const nameId = nameIdFor(saml, app.id, user, persistentKey);
    const sessionIndex = `_${createHmac('sha256', sessionIndexKey).update(session.id).digest('hex').slice(0, 40)}`;
    const response = await buildSamlResponse(
      keys,
      endpoints,
      { id: app.id, saml },
      { acsUrl: request.acsUrl, inResponseTo: request.requestId || undefined },
      {
        nameId,
        attributes: await samlAttributes({ id: app.id, saml }, { user, groups }, awsRolesOf),
        authTime: session.authTime,
        mfa: session.mfa,
        sessionIndex,
        sessionNotOnOrAfter: new Date(
          session.authTime.getTime() + (saml.sessionDuration ?? config.sessions.absolute),
        ),
      },
    );
    await db.transaction(async (tx) => {
      // Sessions end in many ways (sign-out, limits, revocation); what they signed in to is
      // forgotten once no session can be that old.
      await tx.query(
        "delete from saml_session_participants where created_at < now() - $1 * interval '1 millisecond'",
        [config.sessions.absolute],
      );
      await tx.query(
        `insert into saml_session_participants (portal_session_id, application_id, user_id, name_id, name_id_format, session_index)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (portal_session_id, application_id) do update set name_id = $4, name_id_format = $5, session_index = $6`,
        [session.id, app.id, user.id, nameId.value, nameId.format, sessionIndex],
      );
      await audit(tx, context, {
        action: 'saml.signin',
        target: `application:${app.id}`,
        details: {
          initiated: request.requestId ? 'sp' : 'idp',
          responseId: response.id,
          nameIdFormat: nameId.format,
        },
      });
    });
    send(ctx, {
      kind: 'post',
      action: request.acsUrl,
      fields: {
        SAMLResponse: response.base64,
        ...(request.relayState ? { RelayState: request.relayState } : {}),
      },
    });
  };

  const errorDelivery = (
    settings: SamlSettings,
    request: LoginRequest,
    status: { code: string; second?: string; message?: string },
  ): Delivery => {
    const element = errorResponse(
      endpoints,
      { acsUrl: request.acsUrl, inResponseTo: request.requestId },
      status,
    );
    return deliver(
      keys,
      endpoints,
      settings,
      { param: 'SAMLResponse', element, relayState: request.relayState },
      { url: request.acsUrl, binding: 'post' },
    );
  };

  const sso = async (ctx: Context, read: () => Promise<Inbound>) => {
    let accepted: Awaited<ReturnType<typeof acceptAuthnRequest>>;
    try {
      accepted = await acceptAuthnRequest(db, keys, endpoints, await read(), limits);
    } catch (error) {
      return refuse(ctx, error, 'saml.request');
    }
    await login(ctx, accepted.app.saml, accepted.request);
  };

  router.get('/metadata', (ctx) => {
    ctx.type = 'application/samlmetadata+xml';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = idpMetadata(keys, endpoints);
  });

  router.get('/sso', (ctx) => sso(ctx, async () => decodeRedirect(ctx.querystring)));
  router.post('/sso', (ctx) => sso(ctx, async () => decodePost(await readForm(ctx, config.http.bodyLimit))));

  router.get('/sso/resume', async (ctx) => {
    const state = typeof ctx.query['state'] === 'string' ? ctx.query['state'] : '';
    const request = state ? unsealLogin(state) : undefined;
    const app = request && (await findApplication(db, request.appId));
    if (!request || !app?.saml)
      return refuse(
        ctx,
        new GatehouseError(
          'invalid',
          'saml.expired',
          'this sign-in took too long; start again from the application',
        ),
        'saml.request',
      );
    await login(ctx, app.saml, request);
  });

  // IdP-initiated: from the portal's launch link. No request, so no InResponseTo.
  router.get('/apps/:id/start', async (ctx) => {
    const app = await findApplication(db, ctx.params['id'] ?? '');
    if (!app?.saml)
      return refuse(
        ctx,
        new GatehouseError('not_found', 'saml.unknown_app', 'no such SAML application'),
        'saml.request',
      );
    const relay =
      typeof ctx.query['RelayState'] === 'string' ? ctx.query['RelayState'].slice(0, 1024) : undefined;
    const session = await options.sessions.current(ctx);
    if (!session) {
      ctx.status = 303;
      ctx.redirect(`/signin?return_to=${encodeURIComponent(ctx.originalUrl)}`);
      return;
    }
    await login(ctx, app.saml, {
      appId: app.id,
      requestId: '',
      acsUrl: defaultAcs(app.saml),
      relayState: relay ?? app.saml.defaultRelayState,
      forceAuthn: false,
      isPassive: false,
      receivedAt: Date.now(),
    });
  });

  // ---- single logout ---------------------------------------------------------------------

  /** Tells the next SP of an ending session, or answers the SP that started the logout. */
  const continueLogout = async (ctx: Context, logoutId: string) => {
    const { rows } = await db.query<{
      portal_session_id: string;
      origin_application_id: string | null;
      origin_request_id: string | null;
      origin_relay_state: string | null;
    }>(
      'select portal_session_id, origin_application_id, origin_request_id, origin_relay_state from saml_logouts where id = $1',
      [logoutId],
    );
    const flow = rows[0];
    if (!flow) return html(ctx, 200, signedOutPage());
    const next = await db.query<{
      application_id: string;
      name_id: string;
      name_id_format: string;
      session_index: string;
    }>(
      `select p.application_id, p.name_id, p.name_id_format, p.session_index from saml_session_participants p
       where p.portal_session_id = $1 and p.application_id is distinct from $2 order by p.created_at limit 1`,
      [flow.portal_session_id, flow.origin_application_id],
    );
    const participant = next.rows[0];
    if (participant) {
      await db.query(
        'delete from saml_session_participants where portal_session_id = $1 and application_id = $2',
        [flow.portal_session_id, participant.application_id],
      );
      const app = await findApplication(db, participant.application_id);
      if (!app?.saml?.slo) return continueLogout(ctx, logoutId);
      const message = logoutRequest(endpoints, app.saml.slo.url, {
        nameId: participant.name_id,
        format: participant.name_id_format,
        spEntityId: app.saml.entityId,
        sessionIndex: participant.session_index,
      });
      return send(
        ctx,
        deliver(
          keys,
          endpoints,
          app.saml,
          { param: 'SAMLRequest', element: message.element, relayState: logoutId },
          app.saml.slo,
        ),
      );
    }
    await db.transaction(async (tx) => {
      await tx.query('delete from saml_logouts where id = $1', [logoutId]);
      await tx.query('delete from saml_session_participants where portal_session_id = $1', [
        flow.portal_session_id,
      ]);
    });
    const origin = flow.origin_application_id
      ? await findApplication(db, flow.origin_application_id)
      : undefined;
    if (!origin?.saml?.slo || !flow.origin_request_id) return html(ctx, 200, signedOutPage());
    const element = logoutResponse(endpoints, origin.saml.slo.url, flow.origin_request_id);
    send(
      ctx,
      deliver(
        keys,
        endpoints,
        origin.saml,
        { param: 'SAMLResponse', element, relayState: flow.origin_relay_state ?? undefined },
        origin.saml.slo,
      ),
    );
  };

  const slo = async (ctx: Context, read: () => Promise<Inbound>) => {
    let inbound: Inbound;
    try {
      inbound = await read();
      if (inbound.param === 'SAMLResponse') {
        // An SP answering our LogoutRequest: whatever it says, go on with the next one.
        await verifySpMessage(db, keys, endpoints, inbound, 'LogoutResponse');
        return continueLogout(ctx, inbound.relayState ?? '');
      }
      const { app, peek } = await verifySpMessage(db, keys, endpoints, inbound, 'LogoutRequest');
      if (!app.saml.slo)
        throw new GatehouseError(
          'invalid',
          'saml.no_slo',
          'no logout endpoint is registered for this service provider',
        );
      const current = await options.sessions.current(ctx);
      // Only an SP this session signed in to, naming the subject it was given, ends the session: a
      // LogoutRequest made up by another page (or another SP) must not sign the person out.
      const participant = current
        ? await db.query(
            'select 1 from saml_session_participants where portal_session_id = $1 and application_id = $2 and name_id = $3',
            [current.id, app.id, peek.nameId ?? ''],
          )
        : undefined;
      const session = participant?.rows.length ? current : undefined;
      const logoutId = randomBytes(16).toString('base64url');
      if (session) {
        await db.query(
          `with purge as (delete from saml_logouts where created_at < now() - interval '1 hour')
           insert into saml_logouts (id, portal_session_id, origin_application_id, origin_request_id, origin_relay_state)
           values ($1, $2, $3, $4, $5)`,
          [logoutId, session.id, app.id, peek.attrs['ID'], inbound.relayState ?? null],
        );
        await options.sessions.end(ctx);
        await auditNow(db, auditContext(ctx, session), {
          action: 'saml.logout',
          target: `application:${app.id}`,
          details: { initiatedBy: app.saml.entityId },
        });
        return continueLogout(ctx, logoutId);
      }
      // No session of this SP here (ended already, or never signed in through it): answer at once.
      const element = logoutResponse(endpoints, app.saml.slo.url, peek.attrs['ID']!);
      return send(
        ctx,
        deliver(
          keys,
          endpoints,
          app.saml,
          { param: 'SAMLResponse', element, relayState: inbound.relayState },
          app.saml.slo,
        ),
      );
    } catch (error) {
      return refuse(ctx, error, 'saml.logout');
    }
  };

  router.get('/slo', (ctx) => slo(ctx, async () => decodeRedirect(ctx.querystring)));
  router.post('/slo', (ctx) => slo(ctx, async () => decodePost(await readForm(ctx, config.http.bodyLimit))));

  return router;
}
