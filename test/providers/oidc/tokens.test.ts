import * as oauth from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN_GROUP } from '../../../src/clients/api-access.ts';
import { type CreatedClient, createClient, deleteClient } from '../../../src/clients/clients.ts';
import type { CreateClientInput } from '../../../src/clients/schemas.ts';
import { createGroup } from '../../../src/directory/groups.ts';
import { addMember } from '../../../src/directory/members.ts';
import { rotateKeys } from '../../../src/keys/keyring.ts';
import { createToken } from '../../../src/tokens/tokens.ts';
import { backends } from '../../support/backends.ts';
import { createPasswordUser, signIn } from '../../support/signin.ts';
import { browse, type OidcServer, startOidcServer } from './support.ts';

const PASSWORD = 'correct horse battery staple';
const insecure = { execute: [oauth.allowInsecureRequests] };

describe.each(backends)('OAuth tokens, the admin API and keys on $name', (backend) => {
  let server: OidcServer;
  let api: string;
  const created: Record<string, CreatedClient> = {};

  const register = (input: CreateClientInput) =>
    server.runtime.db.transaction(async (tx) => {
      created[input.clientId!] = await createClient(tx, { actor: 'test' }, input);
      return created[input.clientId!]!;
    });
  const configFor = (clientId: string, secret = created[clientId]?.clientSecret ?? undefined) =>
    oauth.discovery(
      new URL(server.issuer),
      clientId,
      secret ? { client_secret: secret } : undefined,
      secret ? oauth.ClientSecretBasic(secret) : oauth.None(),
      insecure,
    );
  const callApi = (token: string, path = '/users') =>
    fetch(`${server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    server = await startOidcServer(backend.name);
    api = `${server.url}/api`;
    await register({
      clientId: 'ci-bot',
      name: 'CI bot',
      grantTypes: ['client_credentials'],
      scopes: ['directory:read'],
    });
    await register({
      clientId: 'post-bot',
      name: 'Bot with client_secret_post',
      grantTypes: ['client_credentials'],
      scopes: ['directory:read', 'audit:read'],
      tokenEndpointAuthMethod: 'client_secret_post',
    });
    await register({
      clientId: 'admin-console',
      name: 'Admin console',
      firstParty: true,
      redirectUris: ['http://127.0.0.1:9/cb'],
      scopes: ['openid', 'profile', 'admin'],
    });
  });
  afterAll(() => server?.stop());

  test('client credentials: a JWT access token for the API resource that the admin API accepts', async () => {
    const config = await configFor('ci-bot');
    const tokens = await oauth.clientCredentialsGrant(config, { scope: 'directory:read', resource: api });
    const header = JSON.parse(Buffer.from(tokens.access_token.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect((await callApi(tokens.access_token)).status).toBe(200);
    // Only its scopes: the audit log needs audit:read.
    const audit = await callApi(tokens.access_token, '/audit');
    expect(audit.status).toBe(403);
    // Its actions are audited under the client.
    const admin = await server.runtime.db.transaction((tx) =>
      createToken(tx, { actor: 'test' }, { name: 'reader', scopes: ['admin'] }),
    );
    const created = await fetch(`${server.url}/api/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', grantTypes: ['client_credentials'], scopes: ['directory:read'] }),
    });
    expect(created.status).toBe(201);
  });

  test('client_secret_post clients, and a scope the client was not registered for', async () => {
    const secret = created['post-bot']!.clientSecret!;
    const config = await oauth.discovery(
      new URL(server.issuer),
      'post-bot',
      { client_secret: secret },
      oauth.ClientSecretPost(secret),
      insecure,
    );
    const tokens = await oauth.clientCredentialsGrant(config, { scope: 'audit:read', resource: api });
    expect((await callApi(tokens.access_token, '/audit')).status).toBe(200);
    // A scope the client was not registered for is not granted.
    const limited = await oauth.clientCredentialsGrant(await configFor('ci-bot'), {
      scope: 'admin',
      resource: api,
    });
    expect(limited.scope ?? '').not.toContain('admin');
    expect((await callApi(limited.access_token, '/tokens')).status).toBe(403);
  });

  test('a wrong secret or an unknown client is invalid_client (JSON), never a 500', async () => {
    await expect(
      oauth.clientCredentialsGrant(await configFor('ci-bot', 'ghcs_wrong-secret-wrong-secret-wrong-secret'), {
        resource: api,
      }),
    ).rejects.toMatchObject({
      status: 401,
      cause: [expect.objectContaining({ parameters: expect.objectContaining({ error: 'invalid_client' }) })],
    });
    const unknown = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('nobody:secret').toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_client' });
    const malformed = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=nope&client_id=ci-bot',
    });
    expect(malformed.status).toBeLessThan(500);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/^invalid_/);
  });

  test('introspection and revocation of an opaque access token', async () => {
    const config = await configFor('ci-bot');
    // Without a resource the access token is opaque (for the provider's own endpoints).
    const tokens = await oauth.clientCredentialsGrant(config, {});
    expect(tokens.access_token.split('.')).toHaveLength(1);
    const active = await oauth.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: 'ci-bot' });
    await oauth.tokenRevocation(config, tokens.access_token);
    expect((await oauth.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
  });

  test('a deleted client’s JWT no longer opens the API', async () => {
    await register({
      clientId: 'temp-bot',
      name: 'Temp',
      grantTypes: ['client_credentials'],
      scopes: ['admin'],
    });
    const tokens = await oauth.clientCredentialsGrant(await configFor('temp-bot'), {
      scope: 'admin',
      resource: api,
    });
    expect((await callApi(tokens.access_token)).status).toBe(200);
    await server.runtime.db.transaction((tx) => deleteClient(tx, { actor: 'test' }, 'temp-bot'));
    expect((await callApi(tokens.access_token)).status).toBe(401);
  });

  test('an administrator signed in through the portal gets an admin API token; others get no admin scope', async () => {
    const db = server.runtime.db;
    const carol = await createPasswordUser(db, 'carol', PASSWORD);
    await createPasswordUser(db, 'dave', PASSWORD);
    await db.transaction(async (tx) => {
      const admins = await createGroup(tx, { actor: 'test' }, { name: ADMIN_GROUP });
      await addMember(tx, { actor: 'test' }, admins.id, { userId: carol.id });
    });
    const config = await configFor('admin-console');
    const tokenFor = async (userName: string) => {
      const { jar, totpSecret } = await signIn({ baseUrl: server.url, userName, password: PASSWORD });
      const verifier = oauth.randomPKCECodeVerifier();
      const url = oauth.buildAuthorizationUrl(config, {
        redirect_uri: 'http://127.0.0.1:9/cb',
        scope: 'openid admin',
        resource: api,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const walk = await browse(jar, url.href, {
        stopAt: 'http://127.0.0.1:9/',
        credentials: { userName, password: PASSWORD, totpSecret },
      });
      return oauth.authorizationCodeGrant(config, new URL(walk.location!), {
        pkceCodeVerifier: verifier,
        expectedState: oauth.skipStateCheck,
      });
    };
    const carolTokens = await tokenFor('carol');
    expect(carolTokens.scope).toContain('admin');
    expect((await callApi(carolTokens.access_token)).status).toBe(200);
    const daveTokens = await tokenFor('dave');
    expect(daveTokens.scope ?? '').not.toContain('admin');
    expect((await callApi(daveTokens.access_token)).status).not.toBe(200);
  });

  test('key rotation: the new key appears in the JWKS next to the old one and signs new tokens', async () => {
    const config = await configFor('ci-bot');
    const before = (await (await fetch(`${server.issuer}/jwks`)).json()) as {
      keys: { kid: string; alg: string }[];
    };
    const oldToken = (await oauth.clientCredentialsGrant(config, { scope: 'directory:read', resource: api }))
      .access_token;
    const [created] = (
      await rotateKeys(server.runtime.db, server.runtime.masterKey, { overlapMs: 3_600_000, algs: ['ES256'] })
    ).filter((k) => k.alg === 'ES256');
    await server.runtime.keys.reload();
    // The provider compares its key set with the key ring at most once a second.
    let after = before;
    for (let i = 0; i < 40 && !after.keys.some((k) => k.kid === created!.kid); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await (await fetch(`${server.issuer}/jwks`)).json()) as typeof before;
    }
    const oldKid = before.keys.find((k) => k.alg === 'ES256')!.kid;
    expect(after.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([created!.kid, oldKid]));
    const newToken = (await oauth.clientCredentialsGrant(config, { scope: 'directory:read', resource: api }))
      .access_token;
    const kid = JSON.parse(Buffer.from(newToken.split('.')[0]!, 'base64url').toString()).kid;
    expect(kid).toBe(created!.kid);
    // Tokens signed before the rotation still verify during the overlap.
    expect((await callApi(oldToken)).status).toBe(200);
    expect((await callApi(newToken)).status).toBe(200);
  });
});
