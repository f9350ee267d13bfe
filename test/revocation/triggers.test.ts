// Every trigger of issue 10 reaches the node's revocation set (and so every check on every node):
// admin disable, membership removed by an administrator, SCIM active=false and DELETE, a portal
// session ended by its user, an OIDC grant ended, a client deleted, "revoke all sessions"; and the consequences of a
// revoked user (portal sessions ended) run from the event consumer. The LDAP sync and the
// cross-node fan-out are in e2e.slapd.test.ts.
import { describe, expect, test } from 'vitest';
import { scimRoutes } from '../../providers/scim/index.ts';
import { createAssignment } from '../../src/access/assignments.ts';
import { createClient, deleteClient } from '../../src/clients/clients.ts';
import { grantEnded } from '../../src/clients/grants.ts';
import { readEvents } from '../../src/directory/events.ts';
import { apiRoutes } from '../../src/http/api/index.ts';
import { tokenBuckets } from '../../src/rate-limit.ts';
import type { RevocationSubject } from '../../src/revocation/types.ts';
import { createScimToken } from '../../src/scim/tokens.ts';
import { createSession, endSession, listUserSessions } from '../../src/sessions/sessions.ts';
import { createToken } from '../../src/tokens/tokens.ts';
import { admin, seedAccess } from '../access/support.ts';
import { backends } from '../support/backends.ts';
import { startTestServer } from '../support/server.ts';
import { until } from './cluster.ts';

describe.each(backends)('revocation triggers on $name', (backend) => {
  test('each trigger flips the check; consequences end portal sessions', { timeout: 120_000 }, async () => {
    const server = await startTestServer({
      backend: backend.name,
      routers: (runtime) => [
        ...apiRoutes(runtime),
        ...scimRoutes(runtime, { limiter: tokenBuckets({ rate: 1e9, burst: 1e9 }) }),
      ],
    });
    try {
      const { runtime } = server;
      const { db } = runtime;
      const s = await seedAccess(db, 'trig');
      const { apiToken, scimToken } = await db.transaction(async (tx) => ({
        apiToken: (await createToken(tx, admin, { name: 'ops', scopes: ['directory:write'] })).token,
        scimToken: (await createScimToken(tx, admin, { name: 'idp' })).token,
      }));
      const api = (method: string, path: string, body?: unknown) =>
        fetch(`${server.url}/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      const scim = (method: string, path: string, body?: unknown) =>
        fetch(`${server.url}/scim/v2${path}`, {
          method,
          headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      const issuedAt = Date.now() - 1;
      const refused = (subject: RevocationSubject, reason: string) =>
        until(`${reason} revocation of ${JSON.stringify(subject)}`, async () =>
          runtime.revocation.check(subject) === reason ? true : undefined,
        );
      const credential = (userId: string) => ({
        userId,
        issuedAt,
        accountId: s.account.id,
        permissionSetId: s.developer.id,
        permissionSetVersion: s.developer.version,
      });
      expect(runtime.revocation.check(credential(s.alice.id))).toBeUndefined();
      expect(runtime.revocation.check(credential(s.bob.id))).toBeUndefined();

      // Membership removed by an administrator: only what the group carried dies.
      expect((await api('DELETE', `/groups/${s.devs.id}/members/users/${s.alice.id}`)).status).toBe(200);
      await refused(credential(s.alice.id), 'assignment');
      expect(runtime.revocation.check({ userId: s.alice.id, issuedAt })).toBeUndefined();

      // An administrator disables a user: everything of theirs issued before.
      expect((await api('POST', `/users/${s.bob.id}/disable`, { reason: 'left' })).status).toBe(200);
      await refused(credential(s.bob.id), 'user');

      // "Revoke all sessions" (the user stays enabled).
      expect(
        (await api('POST', `/users/${s.carol.id}/revoke-access`, { reason: 'laptop lost' })).status,
      ).toBe(200);
      await refused({ userId: s.carol.id, issuedAt }, 'user');
      expect(runtime.revocation.check({ userId: s.carol.id, issuedAt: Date.now() + 1000 })).toBeUndefined();

      // SCIM: active=false, and DELETE.
      for (const [name, change] of [
        ['scim-off', 'patch'],
        ['scim-gone', 'delete'],
      ] as const) {
        const created = await scim('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: name,
        });
        expect(created.status).toBe(201);
        const id = ((await created.json()) as { id: string }).id;
        const since = Date.now() - 1;
        expect(runtime.revocation.check({ userId: id, issuedAt: since })).toBeUndefined();
        const answer =
          change === 'patch'
            ? await scim('PATCH', `/Users/${id}`, {
                schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
                Operations: [{ op: 'replace', path: 'active', value: false }],
              })
            : await scim('DELETE', `/Users/${id}`);
        expect(answer.status).toBeLessThan(300);
        await refused({ userId: id, issuedAt: since }, 'user');
      }

      // Membership removed over SCIM: the assignment the SCIM group carried dies.
      const member = (await (
        await scim('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'scim-member',
        })
      ).json()) as { id: string };
      const group = (await (
        await scim('POST', '/Groups', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: 'scim-team',
          members: [{ value: member.id }],
        })
      ).json()) as { id: string };
      await db.transaction((tx) =>
        createAssignment(tx, admin, {
          accountId: s.account.id,
          permissionSetId: s.developer.id,
          groupId: group.id,
        }),
      );
      const memberSince = Date.now() - 1;
      const memberCredential = { ...credential(member.id), issuedAt: memberSince };
      expect(runtime.revocation.check(memberCredential)).toBeUndefined();
      const removed = await scim('PATCH', `/Groups/${group.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'remove', path: `members[value eq "${member.id}"]` }],
      });
      expect(removed.status).toBeLessThan(300);
      await refused(memberCredential, 'assignment');

      // A portal session ended by its user: what was obtained through it dies, the user does not.
      const dave = (await api('POST', '/users', { userName: 'dave-trig' }).then((r) => r.json())) as {
        id: string;
      };
      const limits = runtime.config.sessions;
      const mine = await createSession(db, admin, { userId: dave.id, amr: ['pwd'] }, limits);
      const other = await createSession(db, admin, { userId: dave.id, amr: ['pwd'] }, limits);
      await endSession(db, { actor: `user:${dave.id}` }, mine.session.id, 'ended_by_user', {
        userId: dave.id,
      });
      await refused({ userId: dave.id, issuedAt, sessionId: mine.session.id }, 'session');
      expect(
        runtime.revocation.check({ userId: dave.id, issuedAt, sessionId: other.session.id }),
      ).toBeUndefined();
      // One that ran out (idle, absolute) records no revocation: its credentials keep their own lifetime.
      const before = (await readEvents(db, 0, 1_000_000)).at(-1)!.id;
      await endSession(db, admin, other.session.id, 'idle');
      expect((await readEvents(db, before)).filter((e) => e.type === 'session.ended')).toEqual([]);

      // An OpenID grant ended (logout, token revocation): credentials carrying its id die.
      await db.transaction((tx) => grantEnded(tx, 'grant-123', dave.id, 'logout'));
      await refused({ userId: dave.id, issuedAt, sessionId: 'grant-123' }, 'session');

      // A client deleted: each of its grants ends (rows as the provider's adapter stores them).
      await db.transaction(async (tx) => {
        await createClient(tx, admin, {
          clientId: 'doomed',
          name: 'Doomed',
          redirectUris: ['https://doomed.example.com/cb'],
        });
        for (const [model, id, grantId] of [
          ['Grant', 'grant-doomed', null],
          ['RefreshToken', 'rt-doomed', 'grant-doomed'],
        ] as const)
          await tx.query(
            `insert into oidc_store (model, id, payload, grant_id, account_id, expires_at)
             values ($1, $2, $3, $4, $5, now() + interval '1 hour')`,
            [model, id, { clientId: 'doomed', accountId: dave.id }, grantId, dave.id],
          );
      });
      expect(
        runtime.revocation.check({ userId: dave.id, issuedAt, sessionId: 'grant-doomed' }),
      ).toBeUndefined();
      await db.transaction((tx) => deleteClient(tx, admin, 'doomed'));
      await refused({ userId: dave.id, issuedAt, sessionId: 'grant-doomed' }, 'session');
      const left = await db.query("select 1 from oidc_store where payload->>'clientId' = 'doomed'");
      expect(left.rows).toEqual([]);

      // Consequences, once across nodes: a revoked user's portal sessions end (session.ended each).
      const erin = (await api('POST', '/users', { userName: 'erin-trig' }).then((r) => r.json())) as {
        id: string;
      };
      const held = await createSession(db, admin, { userId: erin.id, amr: ['pwd'] }, limits);
      expect(runtime.consequences.names()).toContain('portal-sessions');
      const mark = (await readEvents(db, 0, 1_000_000)).at(-1)!.id;
      expect((await api('POST', `/users/${erin.id}/disable`)).status).toBe(200);
      const handle = runtime.consequences.handler(runtime.log);
      for (const event of await readEvents(db, mark)) await handle(event);
      expect(await listUserSessions(db, erin.id, limits)).toEqual([]);
      await refused({ userId: erin.id, issuedAt: Date.now() + 1000, sessionId: held.session.id }, 'session');
    } finally {
      await server.stop();
    }
  });
});
