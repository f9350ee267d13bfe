import * as oauth from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CreatedClient, createClient } from '../../../src/clients/clients.ts';
import { revokeAccountTokens } from '../../../src/clients/grants.ts';
import type { CreateClientInput } from '../../../src/clients/schemas.ts';
import { createGroup } from '../../../src/directory/groups.ts';
import { addMember } from '../../../src/directory/members.ts';
import { disableUser, type User } from '../../../src/directory/users.ts';
import { backends } from '../../support/backends.ts';
import { createPasswordUser, hidden, postForm, signIn } from '../../support/signin.ts';
import { browse, CookieJar, type OidcServer, recorder, startOidcServer } from './support.ts';

const PASSWORD = 'correct horse battery staple';
const CALLBACK = 'http://127.0.0.1:9/cb';
const LOGGED_OUT = 'http://127.0.0.1:9/logged-out';
const insecure = { execute: [oauth.allowInsecureRequests] };

describe.each(backends)('OpenID provider flows with openid-client on $name', (backend) => {
  let server: OidcServer;
  let alice: User;
  let backchannel: Awaited<ReturnType<typeof recorder>>;
  const secrets: Record<string, CreatedClient> = {};
  // Alice's browser: signed in once (password, TOTP enrolment), then single sign-on for every flow.
  let jar: CookieJar;
  let totpSecret: string | undefined;

  const register = (input: CreateClientInput) =>
    server.runtime.db.transaction(async (tx) => {
      secrets[input.clientId!] = await createClient(tx, { actor: 'test' }, input);
    });
  const configFor = (clientId: string) => {
    const created = secrets[clientId]!;
    return oauth.discovery(
      new URL(server.issuer),
      clientId,
      created.clientSecret ? { client_secret: created.clientSecret } : undefined,
      created.clientSecret ? oauth.ClientSecretBasic(created.clientSecret) : oauth.None(),
      insecure,
    );
  };
  const credentials = () => ({ userName: 'alice', password: PASSWORD, totpSecret });

  /** Authorization code + PKCE to the callback; returns the tokens. */
  async function codeFlow(config: oauth.Configuration, params: Record<string, string> = {}) {
    const verifier = oauth.randomPKCECodeVerifier();
    const state = oauth.randomState();
    const url = oauth.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid profile email groups',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    const walk = await browse(jar, url.href, { stopAt: 'http://127.0.0.1:9/', credentials: credentials() });
    if (!walk.location)
      throw new Error(`flow ended on a page: ${walk.page?.status} ${walk.page?.body.slice(0, 300)}`);
    const tokens = await oauth.authorizationCodeGrant(config, new URL(walk.location), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    return { tokens, callback: new URL(walk.location) };
  }

  beforeAll(async () => {
    server = await startOidcServer(backend.name);
    backchannel = await recorder();
    alice = await createPasswordUser(server.runtime.db, 'alice', PASSWORD, {
      displayName: 'Alice Anderson',
      email: 'alice@example.com',
    });
    await server.runtime.db.transaction(async (tx) => {
      const group = await createGroup(tx, { actor: 'test' }, { name: 'platform' });
      await addMember(tx, { actor: 'test' }, group.id, { userId: alice.id });
    });
    await register({
      clientId: 'wiki',
      name: 'Team Wiki',
      redirectUris: [CALLBACK],
      postLogoutRedirectUris: [LOGGED_OUT],
      scopes: ['openid', 'profile', 'email', 'groups'],
      backchannelLogoutUri: backchannel.url,
    });
    await register({
      clientId: 'console',
      name: 'Console',
      firstParty: true,
      idTokenAlg: 'RS256',
      redirectUris: [CALLBACK],
      scopes: ['openid', 'profile', 'email', 'groups'],
    });
    await register({
      clientId: 'cli',
      name: 'Gatehouse CLI',
      public: true,
      applicationType: 'native',
      firstParty: true,
      redirectUris: ['http://127.0.0.1/callback'],
      grantTypes: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      scopes: ['openid', 'profile'],
    });
    // Alice signs in once through the pages (enrolling a TOTP device at her first sign-in).
    const signedIn = await signIn({ baseUrl: server.url, userName: 'alice', password: PASSWORD });
    jar = signedIn.jar;
    totpSecret = signedIn.totpSecret;
    expect(totpSecret).toBeTruthy();
  });
  afterAll(async () => {
    await backchannel?.close();
    await server?.stop();
  });

  test('discovery names the /oidc endpoints under the issuer', async () => {
    const config = await configFor('wiki');
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(server.issuer);
    for (const endpoint of [
      metadata.authorization_endpoint,
      metadata.token_endpoint,
      metadata.userinfo_endpoint,
      metadata.jwks_uri,
      metadata.device_authorization_endpoint,
      metadata.introspection_endpoint,
      metadata.revocation_endpoint,
      metadata.end_session_endpoint,
    ]) {
      expect(endpoint?.startsWith(`${server.issuer}/`)).toBe(true);
    }
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.backchannel_logout_supported).toBe(true);
  });

  test('code + PKCE through the sign-in pages and the consent page: ID token, userinfo, claims', async () => {
    const config = await configFor('wiki');
    const { tokens } = await codeFlow(config);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(alice.id);
    expect(claims.iss).toBe(server.issuer);
    const consent = await server.runtime.db.query<{ actor: string; outcome: string }>(
      "select actor, outcome from audit_log where action = 'oidc.consent' and target = 'client:wiki'",
    );
    expect(consent.rows).toEqual([{ actor: `user:${alice.id}`, outcome: 'success' }]);
    expect(claims.aud).toBe('wiki');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd']));
    expect(typeof claims.auth_time).toBe('number');
    const info = await oauth.fetchUserInfo(config, tokens.access_token, alice.id);
    expect(info).toMatchObject({
      sub: alice.id,
      preferred_username: 'alice',
      name: 'Alice Anderson',
      email: 'alice@example.com',
      email_verified: true,
      groups: ['platform'],
    });
    expect(tokens.refresh_token).toBeTruthy();
  });

  test('first-party clients skip consent; RS256 when the client asks for it', async () => {
    const config = await configFor('console');
    const { tokens } = await codeFlow(config);
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString());
    expect(header.alg).toBe('RS256');
    expect(tokens.claims()!.sub).toBe(alice.id);
  });

  test('refresh tokens rotate; reusing one revokes the grant', async () => {
    const config = await configFor('wiki');
    const { tokens } = await codeFlow(config);
    const first = tokens.refresh_token!;
    const second = await oauth.refreshTokenGrant(config, first);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first);
    await expect(oauth.refreshTokenGrant(config, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The reuse revoked the whole grant: the newest refresh token and access token are dead too.
    await expect(oauth.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oauth.fetchUserInfo(config, second.access_token, alice.id)).rejects.toBeDefined();
    const audit = await server.runtime.db.query<{ details: { route: string } }>(
      "select details from audit_log where action = 'oidc.grant_revoke' order by seq desc limit 1",
    );
    expect(audit.rows[0]?.details.route).toBe('token');
  });

  test('a refresh token presented by several requests at once is exchanged once', async () => {
    const config = await configFor('wiki');
    const { tokens } = await codeFlow(config);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => oauth.refreshTokenGrant(config, tokens.refresh_token!)),
    );
    const exchanged = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(exchanged).toHaveLength(1);
    // The others are refused: those that read it after the winner consumed it as a reuse (which
    // also revokes the grant), those that read it unused before by the atomic consume.
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ error: 'invalid_grant' });
  });

  test('tokens that could not be stored are not handed out: server_error, and the refresh token still works', async () => {
    const config = await configFor('wiki');
    const { tokens } = await codeFlow(config);
    const db = server.runtime.db;
    const query = db.query;
    // The refresh's one write (consume the old token, store the new ones) fails.
    db.query = ((sql: string, params?: readonly unknown[]) =>
      sql.includes('with consumed')
        ? Promise.reject(new Error('disk full'))
        : query.call(db, sql, params)) as typeof db.query;
    try {
      const refused = await oauth.refreshTokenGrant(config, tokens.refresh_token!).catch((e: Error) => e);
      const response = (refused as Error & { cause?: Response }).cause;
      expect(response?.status).toBe(500);
      expect(await response?.json()).toMatchObject({ error: 'server_error' });
    } finally {
      db.query = query;
    }
    expect((await oauth.refreshTokenGrant(config, tokens.refresh_token!)).access_token).toBeTruthy();
  });

  test('prompt=login and an exceeded max_age send a signed-in browser back to the sign-in page', async () => {
    const config = await configFor('console');
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const url = oauth.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid',
        code_challenge: await oauth.calculatePKCECodeChallenge(oauth.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        ...extra,
      });
      const toInteraction = await jar.fetch(url.href);
      const interaction = new URL(toInteraction.headers.get('location')!, server.url).href;
      const toSignIn = await jar.fetch(interaction);
      expect(toSignIn.status).toBe(303);
      const signin = new URL(toSignIn.headers.get('location')!, server.url);
      expect(signin.pathname).toBe('/signin');
      expect(signin.searchParams.get('return_to')).toBe(new URL(interaction).pathname);
      expect(signin.searchParams.get('prompt')).toBe('login');
    }
  });

  test('a replayed authorization code is invalid_grant', async () => {
    const config = await configFor('console');
    const verifier = oauth.randomPKCECodeVerifier();
    const url = oauth.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const walk = await browse(jar, url.href, { stopAt: 'http://127.0.0.1:9/', credentials: credentials() });
    const callback = new URL(walk.location!);
    await oauth.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: oauth.skipStateCheck,
    });
    await expect(
      oauth.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: oauth.skipStateCheck,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('device authorization grant: the person approves the user code on the pages', async () => {
    const config = await configFor('cli');
    const device = await oauth.initiateDeviceAuthorization(config, { scope: 'openid profile' });
    expect(device.user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    // The person opens the verification page, types the code, confirms.
    const input = await jar.fetch(device.verification_uri);
    const inputPage = await input.text();
    expect(input.status).toBe(200);
    expect(inputPage).toContain('<label for="user_code">');
    const confirm = await postForm(jar, device.verification_uri, {
      xsrf: hidden(inputPage, 'xsrf')!,
      user_code: device.user_code,
    });
    const confirmPage = await confirm.text();
    expect(confirm.status).toBe(200);
    expect(confirmPage).toContain(device.user_code);
    const approved = await postForm(jar, /action="([^"]+)"/.exec(confirmPage)![1]!.replace(/&amp;/g, '&'), {
      xsrf: hidden(confirmPage, 'xsrf')!,
      user_code: device.user_code,
      confirm: 'yes',
    });
    const location = new URL(approved.headers.get('location')!, server.url).href;
    const walk = await browse(jar, location, { stopAt: 'http://nowhere/', credentials: credentials() });
    expect(walk.page?.body).toContain('Device connected');
    const tokens = await oauth.pollDeviceAuthorizationGrant(config, { ...device, interval: 0 });
    expect(tokens.claims()!.sub).toBe(alice.id);
  });

  test('public clients must use PKCE; a wrong redirect URI or an unknown client gets an error page', async () => {
    const cli = await configFor('cli');
    const noPkce = oauth.buildAuthorizationUrl(cli, {
      redirect_uri: 'http://127.0.0.1:5555/callback',
      scope: 'openid',
    });
    const answer = await jar.fetch(noPkce.href);
    expect(answer.status).toBe(303);
    const back = new URL(answer.headers.get('location')!);
    expect(back.origin + back.pathname).toBe('http://127.0.0.1:5555/callback');
    expect(back.searchParams.get('error')).toBe('invalid_request');

    const wrong = oauth.buildAuthorizationUrl(await configFor('wiki'), {
      redirect_uri: 'https://evil.example/cb',
      scope: 'openid',
    });
    const mismatch = await jar.fetch(wrong.href);
    expect(mismatch.status).toBe(400);
    const page = await mismatch.text();
    expect(page).toContain('not registered');
    expect(page).not.toContain('evil.example');

    const unknown = await jar.fetch(
      `${server.issuer}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(CALLBACK)}`,
    );
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('invalid_client');
  });

  test('a user disabled mid-session can no longer refresh', async () => {
    const bob = await createPasswordUser(server.runtime.db, 'bob', PASSWORD);
    const bobJar = new CookieJar();
    const config = await configFor('console');
    const verifier = oauth.randomPKCECodeVerifier();
    const url = oauth.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const walk = await browse(bobJar, url.href, {
      stopAt: 'http://127.0.0.1:9/',
      credentials: { userName: 'bob', password: PASSWORD },
    });
    const tokens = await oauth.authorizationCodeGrant(config, new URL(walk.location!), {
      pkceCodeVerifier: verifier,
      expectedState: oauth.skipStateCheck,
    });
    await server.runtime.db.transaction((tx) => disableUser(tx, { actor: 'test' }, bob.id, {}));
    await expect(oauth.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oauth.fetchUserInfo(config, tokens.access_token, bob.id)).rejects.toBeDefined();
  });

  test('revokeAccountTokens ends every grant and token of a person', async () => {
    const config = await configFor('console');
    const { tokens } = await codeFlow(config);
    expect(await revokeAccountTokens(server.runtime.db, alice.id)).toBeGreaterThan(0);
    await expect(oauth.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  test('RP-initiated logout ends the portal session and notifies clients over the back channel', async () => {
    const config = await configFor('wiki');
    const { tokens } = await codeFlow(config);
    const end = oauth.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: LOGGED_OUT,
      state: 'bye',
    });
    const confirm = await jar.fetch(end.href);
    const page = await confirm.text();
    expect(confirm.status).toBe(200);
    const received = backchannel.next();
    const done = await postForm(jar, /action="([^"]+)"/.exec(page)![1]!, {
      xsrf: hidden(page, 'xsrf')!,
      logout: 'yes',
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${LOGGED_OUT}?state=bye`);
    const body = new URLSearchParams(await received);
    const logoutToken = JSON.parse(
      Buffer.from(body.get('logout_token')!.split('.')[1]!, 'base64url').toString(),
    );
    expect(logoutToken.sub).toBe(alice.id);
    expect(logoutToken.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
    // The portal session is gone: the portal asks for a sign-in again.
    const portal = await jar.fetch(`${server.url}/`);
    expect(portal.status).toBe(303);
    expect(portal.headers.get('location')).toContain('/signin');
  });
});
