import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openPostgres } from '../../src/store/postgres.ts';
import { verifyToken } from '../../src/tokens/tokens.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.ts';
import { freePort, runGatehouse, serveProcess, tempDir } from '../support/server.ts';

const hasPostgres = await postgresAvailable();
const TOKEN = /^ght_[A-Za-z0-9_-]{43}$/;

describe('gatehouse tokens on the embedded database', () => {
  const env = { GATEHOUSE_DATA_DIR: tempDir() };
  beforeAll(async () => {
    expect((await runGatehouse(['migrate'], env)).code).toBe(0);
  }, 60_000);

  test('create prints the token alone on stdout, the warning on stderr; list and revoke', async () => {
    const created = await runGatehouse(
      ['tokens', 'create', '--name', 'deploy bot', '--scope', 'directory:read', '--scope', 'directory:write'],
      env,
    );
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(TOKEN);
    expect(created.stderr).toContain('shown once');
    expect(created.stderr).not.toContain(token);
    const id = created.stderr.match(/API token ([0-9a-f-]{36})/)![1]!;

    const expiring = await runGatehouse(
      ['tokens', 'create', '--name', 'short', '--scope', 'audit:read', '--expires', '1h'],
      env,
    );
    expect(expiring.code).toBe(0);
    expect(expiring.stderr).toMatch(/expires \d{4}-/);

    const list = await runGatehouse(['tokens', 'list'], env);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/"short" {2}audit:read {2}active until \d{4}-/);
    expect(lines[1]).toMatch(
      new RegExp(`^${id} {2}"deploy bot" {2}directory:read,directory:write {2}active {2}never used`),
    );
    expect(list.stdout).not.toContain('ght_');

    const revoked = await runGatehouse(['tokens', 'revoke', id], env);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout.trim()).toBe(`revoked ${id} "deploy bot"`);
    expect((await runGatehouse(['tokens', 'list'], env)).stdout).toMatch(
      new RegExp(`^${id} .* revoked `, 'm'),
    );
  }, 120_000);

  test('mistakes: unknown ids exit 1; unknown scopes, missing options and bad durations exit 2', async () => {
    const unknown = await runGatehouse(['tokens', 'revoke', '00000000-0000-4000-8000-000000000000'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no API token');
    const cases: [string[], string][] = [
      [['tokens', 'create', '--name', 'x', '--scope', 'root'], 'unknown scope root'],
      [['tokens', 'create', '--scope', 'admin'], '--name is required'],
      [['tokens', 'create', '--name', 'x', '--scope', 'admin', '--expires', 'soon'], '--expires'],
      [['tokens', 'list', '--name', 'x'], 'belong to "tokens create"'],
      [['tokens'], 'expected "tokens create"'],
    ];
    for (const [args, message] of cases) {
      const ran = await runGatehouse(args, env);
      expect(ran.code, args.join(' ')).toBe(2);
      expect(ran.stderr).toContain(message);
      expect(ran.stderr).toContain('usage: gatehouse tokens create');
    }
    const help = await runGatehouse(['tokens', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('directory:write');
  }, 120_000);
});

describe('gatehouse serve exposes the admin API', () => {
  test('a token made by the CLI opens /api/v1; without it the API answers 401', async () => {
    const env = { GATEHOUSE_DATA_DIR: tempDir() };
    expect((await runGatehouse(['migrate'], env)).code).toBe(0);
    const created = await runGatehouse(
      ['tokens', 'create', '--name', 'e2e', '--scope', 'directory:write'],
      env,
    );
    const token = created.stdout.trim();
    const port = await freePort();
    const server = serveProcess({ ...env, PORT: String(port) });
    try {
      const url = `http://127.0.0.1:${port}/api/v1`;
      await server.waitReady(`http://127.0.0.1:${port}`);
      const made = await fetch(`${url}/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ userName: 'from-serve' }),
      });
      expect(made.status).toBe(201);
      expect((await fetch(`${url}/users`)).status).toBe(401);
      expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.out.stdout + server.out.stderr).not.toContain(token.slice(4));
    expect(server.out.stdout).toContain('"path":"/api/v1/users"');
  }, 120_000);
});

describe.runIf(hasPostgres)('gatehouse tokens on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  test('a token made by the CLI verifies until the CLI revokes it', async () => {
    const env = { DATABASE_URL: database.url, GATEHOUSE_DATA_DIR: tempDir() };
    expect((await runGatehouse(['migrate'], env)).code).toBe(0);
    const created = await runGatehouse(['tokens', 'create', '--name', 'pg', '--scope', 'admin'], env);
    const token = created.stdout.trim();
    expect(token).toMatch(TOKEN);
    const db = await openPostgres({
      url: database.url,
      poolSize: 1,
      connectTimeout: 5000,
      statementTimeout: 5000,
    });
    try {
      const verified = await verifyToken(db, token);
      expect(verified).toMatchObject({ name: 'pg', scopes: ['admin'] });
      expect((await runGatehouse(['tokens', 'revoke', verified!.id], env)).code).toBe(0);
      expect(await verifyToken(db, token)).toBeUndefined();
    } finally {
      await db.close();
    }
  });
});
