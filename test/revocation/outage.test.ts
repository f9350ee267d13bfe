// Issue 10 acceptance: PostgreSQL stopped for longer than the staleness bound. The nodes must fail
// closed for credentials (not open), say so in /readyz and /metrics, and recover by themselves when
// it returns, with no revocation lost. A private cluster, since this stops the server for real.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUser } from '../../src/directory/users.ts';
import { revokeUserAccess } from '../../src/revocation/revoke.ts';
import {
  type PrivatePostgres,
  privatePostgresAvailable,
  startPrivatePostgres,
} from '../support/private-postgres.ts';
import {
  type Cluster,
  callerIdentity,
  type Keys,
  metric,
  mintCredentials,
  seedAccess,
  startCluster,
  until,
} from './cluster.ts';

describe.skipIf(!privatePostgresAvailable())('revocation while PostgreSQL is down', () => {
  let pg: PrivatePostgres;
  let cluster: Cluster;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    cluster = await startCluster({
      databaseUrl: pg.url,
      names: ['A', 'B'],
      env: {
        GATEHOUSE_REVOCATION_RECONCILE_INTERVAL: '500ms',
        GATEHOUSE_REVOCATION_STALE_AFTER: '3s',
        GATEHOUSE_DATABASE_CONNECT_TIMEOUT: '1s',
      },
    });
  }, 180_000);
  afterAll(async () => {
    await cluster?.close();
    await pg?.destroy();
  });

  test('nodes fail closed beyond the bound and recover by themselves, no revocation lost', {
    timeout: 180_000,
  }, async () => {
    const { db } = cluster;
    const [kept, revokedBefore, revokedLast] = await db.transaction(async (tx) => {
      const created = [];
      for (const userName of ['kept', 'gone-early', 'gone-late'])
        created.push(await createUser(tx, { actor: 'test' }, { userName }));
      return created;
    });
    const { set } = await seedAccess(db, [kept!.id, revokedBefore!.id, revokedLast!.id]);
    const keys: Record<string, Keys> = {};
    for (const u of [kept!, revokedBefore!, revokedLast!])
      keys[u.userName] = await mintCredentials(cluster, u.id, set.id);
    for (const n of cluster.nodes) expect(await callerIdentity(n.url, keys['kept']!)).toBe('ok');

    await db.transaction((tx) => revokeUserAccess(tx, { actor: 'test' }, revokedBefore!.id, 'before'));
    // The last revocation commits just before the server stops (its NOTIFY may never arrive).
    await db.transaction((tx) => revokeUserAccess(tx, { actor: 'test' }, revokedLast!.id, 'last'));
    await db.close();
    const stoppedAt = Date.now();
    await pg.stop();

    // Beyond the bound: every credential refused (ServiceUnavailable), /readyz 503, stale = 1.
    for (const n of cluster.nodes) {
      await until(
        `${n.name} stale`,
        async () => ((await metric(n.url, 'gatehouse_revocation_stale')) === 1 ? true : undefined),
        60_000,
      ).catch((error: unknown) => {
        // What the node said, should it have died instead of failing closed.
        console.log(n.name, n.child.exitCode, n.out.stderr.slice(-3000), n.out.stdout.slice(-3000));
        throw error;
      });
      expect(await callerIdentity(n.url, keys['kept']!)).toBe('ServiceUnavailable');
      expect(await callerIdentity(n.url, keys['gone-late']!)).not.toBe('ok');
      expect((await fetch(`${n.url}/readyz`)).status).toBe(503);
    }
    // Held down well past the bound.
    const downFor = 3_000 + 2_000 - (Date.now() - stoppedAt);
    if (downFor > 0) await new Promise((r) => setTimeout(r, downFor));
    for (const n of cluster.nodes)
      expect(await callerIdentity(n.url, keys['kept']!)).toBe('ServiceUnavailable');

    await pg.start();
    const back = Date.now();
    for (const n of cluster.nodes) {
      await until(
        `${n.name} recovered`,
        async () => ((await callerIdentity(n.url, keys['kept']!)) === 'ok' ? true : undefined),
        90_000,
      );
      expect((await fetch(`${n.url}/readyz`)).status).toBe(200);
      expect(await metric(n.url, 'gatehouse_revocation_stale')).toBe(0);
      // No revocation lost, including the one whose notification went down with the server.
      expect(await callerIdentity(n.url, keys['gone-early']!)).not.toBe('ok');
      expect(await callerIdentity(n.url, keys['gone-late']!)).not.toBe('ok');
    }
    console.log(`PostgreSQL back → credentials accepted again within ${Date.now() - back} ms`);
  });
});
