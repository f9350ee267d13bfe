import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import type { Context } from 'koa';
import { afterAll, beforeAll } from 'vitest';
import {
  currentCredential,
  pemCertificate,
  selfSignedCertificate,
} from '../../providers/saml/certificates.ts';
import { idpEndpoints } from '../../providers/saml/entities.ts';
import { type SamlSession, type SessionPort, samlRoutes } from '../../providers/saml/routes.ts';
import { createApplication } from '../../src/apps/apps.ts';
import { assignApplication } from '../../src/apps/assignments.ts';
import type { SamlSettingsInput } from '../../src/apps/saml-settings.ts';
import { createUser } from '../../src/directory/users.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * A stand-in for the portal session of the sign-in branch (src/http/portal-session.ts): a cookie
 * naming a session kept in memory. Tests sign a user in by calling `signIn`; the SAML routes only
 * see the SessionPort, the same interface the real portal session is wired to.
 */
export function memorySessions() {
  const sessions = new Map<string, SamlSession>();
  const read = (ctx: Context) => sessions.get(ctx.cookies.get('test_session') ?? '');
  const port: SessionPort = {
    current: async (ctx) => read(ctx),
    end: async (ctx) => {
      const session = read(ctx);
      if (session) sessions.delete(session.id);
      ctx.cookies.set('test_session', '', { maxAge: 0 });
      return session;
    },
  };
  return {
    port,
    signIn(userId: string, authTime = new Date()): string {
      const id = randomUUID();
      sessions.set(id, { id, userId, authTime, mfa: true });
      return `test_session=${id}`;
    },
    has: (cookie: string) => sessions.has(cookie.replace('test_session=', '')),
  };
}

/** A service provider key pair and its self-signed certificate (what an SP registers with us). */
export function spKeys(entityId: string) {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = selfSignedCertificate(
    { kid: randomUUID(), ...pair, activatesAt: new Date(0) },
    entityId,
  ).toString('base64');
  return {
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificate,
    certificatePem: pemCertificate(certificate),
  };
}

export function useSamlServer(backend: 'pglite' | 'postgres') {
  const sessions = memorySessions();
  const state = {} as { server: TestServer };
  beforeAll(async () => {
    state.server = await startTestServer({
      backend,
      routers: (runtime) => [samlRoutes(runtime, { sessions: sessions.port }), new Router()],
    });
  }, 60_000);
  afterAll(() => state.server?.stop());

  const ctx = { actor: 'test' };
  return {
    sessions,
    get server() {
      return state.server;
    },
    get endpoints() {
      return idpEndpoints(state.server.runtime.config.url);
    },
    idpCertPem() {
      const endpoints = idpEndpoints(state.server.runtime.config.url);
      return pemCertificate(currentCredential(state.server.runtime.keys, endpoints.entityId).certificate);
    },
    async user(userName: string, email = `${userName}@example.com`) {
      return state.server.runtime.db.transaction((tx) => createUser(tx, ctx, { userName, emails: [email] }));
    },
    async app(
      name: string,
      saml: SamlSettingsInput,
      assign: { userId: string } | { groupId: string } | undefined,
    ) {
      return state.server.runtime.db.transaction(async (tx) => {
        const app = await createApplication(tx, ctx, { name, type: 'saml', saml });
        if (assign) await assignApplication(tx, ctx, app.id, assign);
        return app;
      });
    },
    /** The IdP's public URLs name the configured base URL; tests reach the server on its real port. */
    local(url: string): string {
      return url.replace(state.server.runtime.config.url, state.server.url);
    },
    /** A node-saml SP configured against this IdP. */
    sp(config: Partial<SamlConfig> & { issuer: string; callbackUrl: string }) {
      const endpoints = idpEndpoints(state.server.runtime.config.url);
      return new SAML({
        entryPoint: endpoints.sso,
        idpCert: this.idpCertPem(),
        idpIssuer: endpoints.entityId,
        audience: config.issuer,
        wantAssertionsSigned: true,
        wantAuthnResponseSigned: true,
        validateInResponseTo: 'always' as SamlConfig['validateInResponseTo'],
        ...config,
      });
    },
  };
}

/** GET or POST without following redirects. */
export async function fetchRaw(url: string, init: RequestInit & { cookie?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The hidden fields of an auto-posting SAML form page. */
export function formFields(page: string): { action: string; fields: Record<string, string> } {
  const action = /<form id="saml" method="post" action="([^"]+)"/.exec(page)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]!] = m[2]!
      .replace(/&amp;/g, '&')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
  }
  return { action: action.replace(/&amp;/g, '&'), fields };
}
