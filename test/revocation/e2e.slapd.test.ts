// Issue 10 acceptance: three `gatehouse serve` nodes over one PostgreSQL database and one slapd.
// A directory user holds a portal session (node A), an OIDC refresh token (node B), STS credentials
// (obtained on A, used through C), a session at a relying party registered for back-channel
// logout and a SAML application session (IdP-initiated through A, at an SP with a SOAP logout
// service). Disabling the user in the directory must end every one of those on every node.
import { SAML } from '@node-saml/node-saml';
import * as oauth from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createAssignment } from '../../src/access/assignments.ts';
import { createApplication } from '../../src/apps/apps.ts';
import { assignApplication } from '../../src/apps/assignments.ts';
import { createClient } from '../../src/clients/clients.ts';
import { createUser } from '../../src/directory/users.ts';
import { revokeUserAccess } from '../../src/revocation/revoke.ts';
import { createToken } from '../../src/tokens/tokens.ts';
import { browse, recorder } from '../providers/oidc/support.ts';
import { logoutRequestOf, soapSp } from '../saml/soap-sp.ts';
import { formFields } from '../saml/support.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.ts';
import { type CookieJar, signIn } from '../support/signin.ts';
import { SERVICE_DN, SERVICE_PASSWORD, type Slapd, startSlapd } from '../support/slapd.ts';
import { lockLdif, type Scenario, scenario } from '../sync/helpers.ts';
import {
  ACCOUNT,
  assumeRole,
  type Cluster,
  callerIdentity,
  type Keys,
  metric,
  mintCredentials,
  seedAccess,
  startCluster,
  until,
} from './cluster.ts';

const CALLBACK = 'http://127.0.0.1:9/cb';
const SAML_SP = 'https://wiki-saml.test';
const insecure = { execute: [oauth.allowInsecureRequests] };
const ok = await postgresAvailable();

describe.skipIf(!ok)('revocation across three nodes (slapd, PostgreSQL)', () => {
  let slapd: Slapd;
  let s: Scenario;
  let database: TestDatabase;
  let cluster: Cluster;
  let backchannel: Awaited<ReturnType<typeof recorder>>;
  let samlSp: Awaited<ReturnType<typeof soapSp>>;
  let samlAppId: string;
  let setId: string;
  let adminToken: string;
  const secrets: Record<string, string> = {};

  const [A, B, C] = [0, 1, 2];
  const node = (i: number) => cluster.nodes[i]!;
  const everyNode = () => cluster.nodes;

  beforeAll(async () => {
    slapd = await startSlapd();
    s = await scenario(slapd, 'rev', { users: 3, groups: { eng: [1, 2] } });
    await s.connector.close();
    database = await createTestDatabase();
    backchannel = await recorder();
    samlSp = await soapSp(SAML_SP);
    const yaml = `connectors:
  - id: rev
    type: ldap
    dialect: openldap
    urls: ["${slapd.url}"]
    tls: { caFile: "${slapd.caFile}", startTLS: true }
    bindDN: "${SERVICE_DN}"
    bindPassword: "${SERVICE_PASSWORD}"
    userSearch: { baseDN: "${s.peopleDn}" }
    groupSearch: { baseDN: "${s.groupsDn}" }
    sync: { incremental: 1s, full: 6h, maxDeprovisionPercent: 100 }
`;
    cluster = await startCluster({ databaseUrl: database.url, names: ['A', 'B', 'C'], yaml });
    const { db } = cluster;
    // The first full sync (one node) brings the directory users in.
    const users = await until('the first sync', async () => {
      const { rows } = await db.query<{ id: string; user_name: string }>(
        `select id, user_name from users where source = 'ldap:rev' order by user_name`,
      );
      return rows.length === 3 ? rows : undefined;
    });
    const { set } = await seedAccess(
      db,
      users.map((u) => u.id),
    );
    setId = set.id;
    await db.transaction(async (tx) => {
      const wiki = await createClient(
        tx,
        { actor: 'test' },
        {
          clientId: 'wiki',
          name: 'Team Wiki',
          redirectUris: [CALLBACK],
          grantTypes: ['authorization_code', 'refresh_token'],
          scopes: ['openid', 'profile'],
          backchannelLogoutUri: backchannel.url,
        },
      );
      const console_ = await createClient(
        tx,
        { actor: 'test' },
        {
          clientId: 'console',
          name: 'Console',
          firstParty: true,
          redirectUris: [CALLBACK],
          scopes: ['openid', 'profile'],
        },
      );
      const samlApp = await createApplication(
        tx,
        { actor: 'test' },
        {
          name: 'wiki-saml',
          type: 'saml',
          saml: {
            entityId: SAML_SP,
            acs: [{ url: `${SAML_SP}/acs` }],
            nameIdFormat: 'unspecified',
            backchannelLogoutUrl: samlSp.url,
          },
        },
      );
      samlAppId = samlApp.id;
      for (const user of users)
        await assignApplication(tx, { actor: 'test' }, samlApp.id, { userId: user.id });
      secrets['wiki'] = wiki.clientSecret!;
      secrets['console'] = console_.clientSecret!;
      adminToken = (await createToken(tx, { actor: 'test' }, { name: 'ops', scopes: ['directory:write'] }))
        .token;
    });
  }, 180_000);

  afterAll(async () => {
    await cluster?.close();
    await backchannel?.close();
    await samlSp?.close();
    await database?.drop();
    await slapd?.stop();
  });

  const configFor = (url: string, clientId: string, secret = secrets[clientId]!) =>
    oauth.discovery(
      new URL(`${url}/oidc`),
      clientId,
      { client_secret: secret },
      oauth.ClientSecretBasic(secret),
      insecure,
    );

  /** Authorization code + PKCE on a node with the browser `jar`; returns the tokens. */
  async function codeFlow(
    jar: CookieJar,
    config: oauth.Configuration,
    scope: string,
    password: string,
    userName: string,
  ) {
    const verifier = oauth.randomPKCECodeVerifier();
    const state = oauth.randomState();
    const url = oauth.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const walk = await browse(jar, url.href, {
      stopAt: 'http://127.0.0.1:9/',
      credentials: { userName, password },
    });
    if (!walk.location)
      throw new Error(`flow ended on a page: ${walk.page?.status} ${walk.page?.body.slice(0, 300)}`);
    return oauth.authorizationCodeGrant(config, new URL(walk.location), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
  }

  /** Whether the browser is signed in to the portal on a node. */
  const portalSignedIn = async (jar: CookieJar, url: string) => {
    const response = await fetch(`${url}/`, { headers: { cookie: jar.header() }, redirect: 'manual' });
    return response.status === 200;
  };

  /** What `/saml/apps/{id}/start` gives the browser on a node: a SAMLResponse, or where it is sent. */
  const samlLaunch = async (jar: CookieJar, url: string) => {
    const response = await fetch(`${url}/saml/apps/${samlAppId}/start`, {
      headers: { cookie: jar.header() },
      redirect: 'manual',
    });
    const samlResponse =
      response.status === 200 ? formFields(await response.text()).fields['SAMLResponse'] : undefined;
    return { samlResponse, location: response.headers.get('location') };
  };

  test('disabled in the directory → the sync on one node → portal, refresh, credentials, the RP and the SAML sessions end everywhere', {
    timeout: 240_000,
  }, async () => {
    const userName = s.uid(1);
    const password = `${userName}-password`;
    const signedIn = await signIn({ baseUrl: node(A).url, userName, password });
    const jar = signedIn.jar;
    for (const n of everyNode()) expect(await portalSignedIn(jar, n.url)).toBe(true);

    // A refresh token at the RP "wiki" through node B (its provider session has the RP's sid).
    const wiki = await configFor(node(B).url, 'wiki');
    const rp = await codeFlow(jar, wiki, 'openid profile', password, userName);
    expect(rp.refresh_token).toBeTruthy();
    const refreshed = await oauth.refreshTokenGrant(wiki, rp.refresh_token!);
    let refreshToken = refreshed.refresh_token!;

    // STS credentials obtained on A (ID token of a first-party client), used through C.
    const console_ = await configFor(node(A).url, 'console');
    const idToken = (await codeFlow(jar, console_, 'openid profile', password, userName)).id_token!;
    const keys = await assumeRole(node(A).url, idToken);
    for (const n of everyNode()) expect(await callerIdentity(n.url, keys)).toBe('ok');
    // A SAML application session: IdP-initiated sign-in through node A.
    const launched = await samlLaunch(jar, node(A).url);
    expect(launched.samlResponse).toBeTruthy();
    const sessionIndex = /SessionIndex="([^"]+)"/.exec(
      Buffer.from(launched.samlResponse!, 'base64').toString(),
    )![1]!;
    const { rows: users } = await cluster.db.query<{ id: string }>(
      'select id from users where user_name = $1',
      [userName],
    );
    const userId = users[0]!.id;

    // Disabled in the directory: from here, the incremental sync (1 s) of one node notices.
    const changed = Date.now();
    await slapd.modify(lockLdif(s.userDn(1)));
    const denied = await until(
      'credentials refused on C',
      async () => ((await callerIdentity(node(C).url, keys)) !== 'ok' ? Date.now() : undefined),
      60_000,
    ).catch(async (error: unknown) => {
      const { rows } = await cluster.db.query(
        'select actor, action, target, details from audit_log order by seq desc limit 15',
      );
      console.log(JSON.stringify(rows, null, 1));
      for (const n of everyNode())
        console.log(
          n.name,
          n.out.stdout
            .split('\n')
            .filter((l) => /sync|revoc/.test(l))
            .slice(-15)
            .join('\n'),
          n.out.stderr.slice(-2000),
        );
      throw error;
    });
    console.log(`directory change → credentials denied on node C: ${denied - changed} ms`);

    // Exactly one node's sync disabled the user (one audit entry, by the connector).
    const { rows: disabled } = await cluster.db.query<{ actor: string }>(
      `select actor from audit_log where action = 'user.disable' and target = $1`,
      [`user:${userId}`],
    );
    expect(disabled).toEqual([{ actor: 'connector:rev' }]);
    // … by at most one sync run (the lock keeps the other nodes' runs from overlapping); a directory
    // re-check (a refresh or sign-in reading the entry) may get there first, in which case none.
    const { rows: runs } = await cluster.db.query<{ n: number }>(
      `select count(*)::int as n from audit_log
        where action = 'sync.run' and target = 'connector:rev' and (details->>'disabled')::int > 0`,
    );
    expect(runs[0]!.n).toBeLessThanOrEqual(1);

    // Every node refuses the credentials (revoked: InvalidClientTokenId / AccessDenied / ExpiredToken).
    for (const n of everyNode()) {
      const answer = await until(`credentials refused on ${n.name}`, async () => {
        const a = await callerIdentity(n.url, keys);
        return a === 'ok' ? undefined : a;
      });
      expect(['InvalidClientTokenId', 'AccessDenied', 'ExpiredToken']).toContain(answer);
    }
    // The portal session is over on every node.
    for (const n of everyNode())
      await until(`signed out on ${n.name}`, async () =>
        (await portalSignedIn(jar, n.url)) ? undefined : true,
      );
    // The refresh token is refused.
    await expect(oauth.refreshTokenGrant(wiki, refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    refreshToken = '';
    // The RP got a back-channel logout token for the user (once, from the consumer's node).
    const body = await until('a back-channel logout', async () => backchannel.bodies[0], 30_000);
    const logoutToken = new URLSearchParams(body).get('logout_token')!;
    const claims = JSON.parse(Buffer.from(logoutToken.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: userId, aud: 'wiki' });
    // Sent by whichever node ran the consumer (here each node has its own URL; behind a load
    // balancer they share one issuer).
    expect(everyNode().map((n) => `${n.url}/oidc`)).toContain(claims.iss);
    expect(claims.sid).toBeTruthy();
    expect(claims.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
    // The provider's sessions, grants and tokens of the user are gone.
    const { rows: left } = await cluster.db.query<{ n: number }>(
      'select count(*)::int as n from oidc_store where account_id = $1',
      [userId],
    );
    expect(left[0]!.n).toBe(0);

    // The SAML SP got one signed SOAP LogoutRequest for the session, from the consumer's node.
    const soap = await until('a SAML back-channel logout', async () => samlSp.received[0]?.body, 30_000);
    const certificates = await Promise.all(
      everyNode().map(async (n) => {
        const metadata = await (await fetch(`${n.url}/saml/metadata`)).text();
        const der = /<(?:ds:)?X509Certificate>([^<]+)</.exec(metadata)![1]!;
        return `-----BEGIN CERTIFICATE-----\n${der}\n-----END CERTIFICATE-----`;
      }),
    );
    const told = await new SAML({
      issuer: SAML_SP,
      callbackUrl: `${SAML_SP}/acs`,
      idpCert: certificates,
    }).validatePostRequestAsync({ SAMLRequest: Buffer.from(logoutRequestOf(soap)).toString('base64') });
    expect(told.profile).toMatchObject({ nameID: userName, sessionIndex });
    expect(everyNode().map((n) => `${n.url}/saml/metadata`)).toContain(told.profile?.issuer);
    const { rows: samlAudit } = await cluster.db.query<{ outcome: string }>(
      `select outcome from audit_log where action = 'saml.backchannel_logout' and target = $1`,
      [`application:${samlAppId}`],
    );
    expect(samlAudit).toEqual([{ outcome: 'success' }]);
    // The portal session yields no SAMLResponse on any node: the launch goes to the sign-in page.
    for (const n of everyNode()) {
      const after = await samlLaunch(jar, n.url);
      expect(after.samlResponse, n.name).toBeUndefined();
      expect(after.location, n.name).toMatch(/^\/signin\?/);
    }
    // Exactly one node told the SP (the consumer runs once across nodes).
    expect(samlSp.received).toHaveLength(1);
  });

  test('revoke-access through the API (node B) → credentials refused on every node', {
    timeout: 120_000,
  }, async () => {
    const { rows } = await cluster.db.query<{ id: string }>('select id from users where user_name = $1', [
      s.uid(2),
    ]);
    const userId = rows[0]!.id;
    const keys = await mintCredentials(cluster, userId, setId);
    for (const n of everyNode()) expect(await callerIdentity(n.url, keys)).toBe('ok');
    const revoked = Date.now();
    const response = await fetch(`${node(B).url}/api/v1/users/${userId}/revoke-access`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'laptop lost' }),
    });
    expect(response.status).toBe(200);
    const latencies = await Promise.all(
      everyNode().map((n) =>
        until(`refused on ${n.name}`, async () =>
          (await callerIdentity(n.url, keys)) !== 'ok' ? Date.now() - revoked : undefined,
        ),
      ),
    );
    console.log(
      `API revoke → credentials denied: ${latencies.map((l, i) => `${everyNode()[i]!.name} ${l} ms`).join(', ')}`,
    );
  });

  test('kill -9 of a node during a storm of 1,000 revocations: the others converge; the restarted node loads before it serves', {
    timeout: 240_000,
  }, async () => {
    const { db } = cluster;
    const storm = await db.transaction(async (tx) => {
      const ids: string[] = [];
      for (let i = 0; i < 1000; i++)
        ids.push(
          (await createUser(tx, { actor: 'test' }, { userName: `storm${String(i).padStart(4, '0')}` })).id,
        );
      return ids;
    });
    const sampled = storm.filter((_, i) => i % 50 === 0);
    await db.transaction(async (tx) => {
      for (const userId of sampled)
        await createAssignment(tx, { actor: 'test' }, { accountId: ACCOUNT, permissionSetId: setId, userId });
    });
    const keys: Keys[] = [];
    for (const userId of sampled) keys.push(await mintCredentials(cluster, userId, setId));
    for (const k of keys.slice(0, 3)) expect(await callerIdentity(node(C).url, k)).toBe('ok');

    // The storm: 1,000 revocations in small transactions; node B is killed half-way.
    const before = (await metric(node(A).url, 'gatehouse_revocation_entries')) ?? 0;
    for (let i = 0; i < storm.length; i += 20) {
      await db.transaction(async (tx) => {
        for (const userId of storm.slice(i, i + 20))
          await revokeUserAccess(tx, { actor: 'test' }, userId, 'storm');
      });
      if (i === 500) node(B).child.kill('SIGKILL');
    }
    await node(B).exited;
    for (const i of [A, C]) {
      await until(`node ${node(i).name} converged`, async () =>
        ((await metric(node(i).url, 'gatehouse_revocation_entries')) ?? 0) >= before + 1000
          ? true
          : undefined,
      );
      for (const k of keys) expect(await callerIdentity(node(i).url, k)).not.toBe('ok');
    }

    // Restarted, B listens at once but is not ready, and refuses everything, until its set is loaded
    // (/readyz 503 naming the step, src/http/starting.ts); its first 200 comes with every revocation
    // in, and it refuses every revoked credential throughout.
    const restarting = cluster.start(B);
    const starting: { checks: Record<string, string>; credential: string }[] = [];
    const firstReady = await until(
      'node B ready',
      async () => {
        const r = await fetch(`${node(B).url}/readyz`).catch(() => undefined);
        if (!r) return undefined;
        const body = (await r.json()) as { checks: Record<string, string> };
        if (r.status === 200) return { entries: await metric(node(B).url, 'gatehouse_revocation_entries') };
        starting.push({ checks: body.checks, credential: await callerIdentity(node(B).url, keys[0]!) });
        return undefined;
      },
      90_000,
    );
    await restarting;
    expect(firstReady.entries).toBeGreaterThanOrEqual(1000);
    for (const answer of starting) {
      expect(Object.values(answer.checks).some((c) => c !== 'ok')).toBe(true);
      expect(answer.credential).not.toBe('ok');
    }
    console.log(
      `restarted node B: ${starting.length} not-ready answers before ready (${[
        ...new Set(
          starting.map((a) =>
            Object.entries(a.checks)
              .map(([k, v]) => `${k}: ${v}`)
              .join(', '),
          ),
        ),
      ].join('; ')})`,
    );
    for (const k of keys) expect(await callerIdentity(node(B).url, k)).not.toBe('ok');
  });
});
