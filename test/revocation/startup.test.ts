// Issue 10: "a restarted node is not ready until it has loaded the state". `serve` listens at once
// and, until its revocation set is loaded, answers /healthz 200, /readyz 503 naming the step, and
// every other request 503: a valid API token is refused (fail closed), then accepted once loaded.
// The load is held back by a transaction locking the users table (which the load reads).
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import { serve } from '../../src/server.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { createToken } from '../../src/tokens/tokens.ts';
import { createTestDatabase, postgresAvailable } from '../support/postgres.ts';
import { freePort, tempDir } from '../support/server.ts';
import { until } from './cluster.ts';

const ok = await postgresAvailable();
const silent = createLogger('silent');

describe.skipIf(!ok)('a starting node', () => {
  test('listens at once, is not ready and refuses tokens until its revocation set is loaded', {
    timeout: 120_000,
  }, async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      env: {
        DATABASE_URL: database.url,
        GATEHOUSE_DATA_DIR: tempDir(),
        GATEHOUSE_URL: url,
        PORT: String(port),
        GATEHOUSE_HOST: '127.0.0.1',
      },
      cwd: tempDir(),
    });
    // A first start migrates and bootstraps; the token is what a client of the restarted node holds.
    const first = await serve(config, silent, { announce: () => {} });
    const token = (
      await first.runtime.db.transaction((tx) =>
        createToken(tx, { actor: 'test' }, { name: 'ops', scopes: ['directory:read'] }),
      )
    ).token;
    await first.stop();

    const db = await openPostgres({
      url: database.url,
      poolSize: 2,
      connectTimeout: 5_000,
      statementTimeout: 0,
    });
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holding = db.transaction(async (tx) => {
      await tx.query('lock table users in access exclusive mode');
      locked();
      await released;
    });
    await lockTaken;
    const api = () => fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${token}` } });
    let restarted: Awaited<ReturnType<typeof serve>> | undefined;
    const starting = serve(config, silent, { announce: () => {} }).then((running) => {
      restarted = running;
      return running;
    });
    try {
      const loading = await until('the restarted node loading its revocation set', async () => {
        const response = await fetch(`${url}/readyz`).catch(() => undefined);
        if (!response) return undefined;
        const body = (await response.json()) as { checks: Record<string, string> };
        return body.checks['revocation'] === 'loading' ? { status: response.status, body } : undefined;
      });
      expect(loading).toEqual({
        status: 503,
        body: { status: 'not ready', checks: { revocation: 'loading' } },
      });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const refused = await api();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('starting');
      expect(restarted).toBeUndefined();

      release();
      await holding;
      await starting;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await api()).status).toBe(200);
    } finally {
      release();
      await holding.catch(() => {});
      await (await starting.catch(() => undefined))?.stop();
      await db.close();
      await database.drop();
    }
  });
});
