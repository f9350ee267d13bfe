import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.ts';
import { freePort, runGatehouse, serveProcess, tempDir } from '../support/server.ts';

const hasPostgres = await postgresAvailable();
const singleLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('{'));

describe('command line', () => {
  test('--help lists every command; each command has --help', async () => {
    const help = await runGatehouse(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'migrate', 'init', 'keys']) expect(help.stdout).toContain(`  ${command}`);
    const keys = await runGatehouse(['keys', '--help']);
    expect(keys.code).toBe(0);
    expect(keys.stdout).toContain('gatehouse keys rotate');
  });

  test('usage mistakes exit 2 with one line and the usage', async () => {
    const unknown = await runGatehouse(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badFlag = await runGatehouse(['serve', '--bogus']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('usage: gatehouse serve');
    const badDuration = await runGatehouse(['keys', 'rotate', '--overlap', 'soon']);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('--overlap: expected a duration');
  });

  test('bad configuration exits 2 with one line naming the key', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'gatehouse.yaml'), 'sessions:\n  idel: 1h\n');
    const unknownKey = await runGatehouse(['serve'], {}, cwd);
    expect(unknownKey.code).toBe(2);
    expect(singleLine(unknownKey.stderr)).toEqual(['gatehouse serve: config: unknown key sessions.idel']);

    const wrongType = await runGatehouse(['serve'], { PORT: 'eighty' });
    expect(wrongType.code).toBe(2);
    expect(singleLine(wrongType.stderr)).toHaveLength(1);
    expect(wrongType.stderr).toContain('port:');
  });

  test('an unreachable database exits 1 with one line and no password', async () => {
    const port = await freePort();
    const ran = await runGatehouse(['serve'], {
      DATABASE_URL: `postgres://gatehouse:Hunter2Hunter2@127.0.0.1:${port}/gatehouse`,
      GATEHOUSE_DATABASE_CONNECT_TIMEOUT: '2s',
      GATEHOUSE_DATA_DIR: tempDir(),
    });
    expect(ran.code).toBe(1);
    const lines = singleLine(ran.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gatehouse serve: database unavailable: .*ECONNREFUSED/);
    expect(ran.stderr + ran.stdout).not.toContain('Hunter2Hunter2');
  });

  test('--debug adds the stack trace', async () => {
    const ran = await runGatehouse(['--debug', 'serve'], {
      DATABASE_URL: 'postgres://127.0.0.1:1/x',
      GATEHOUSE_DATABASE_CONNECT_TIMEOUT: '1s',
    });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/\n\s+at /);
  });
});

describe('serve on the embedded database', () => {
  const dataDir = tempDir();
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });

  test('first start: ready, prints the set-up link once, stops cleanly on SIGTERM', async () => {
    const server = serveProcess({ GATEHOUSE_DATA_DIR: dataDir, PORT: String(port) });
    await server.waitReady(`http://127.0.0.1:${port}`);
    expect(server.out.stderr).toMatch(/Root administrator created[\s\S]*\/setup\?token=[\w-]{43}/);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.out.stdout).toContain('"msg":"stopped"');
    // The set-up link goes to the console, not into the structured log.
    expect(server.out.stdout).not.toContain('/setup?token=');
  });

  test('a second start keeps the data and the keys; a second process on the same folder is refused', async () => {
    const before = await runGatehouse(['keys', 'list'], { GATEHOUSE_DATA_DIR: dataDir });
    expect(before.code).toBe(0);
    const server = serveProcess({ GATEHOUSE_DATA_DIR: dataDir, PORT: String(port) });
    await server.waitReady(`http://127.0.0.1:${port}`);
    expect(server.out.stderr).not.toContain('Root administrator created');

    const second = await runGatehouse(['serve'], {
      GATEHOUSE_DATA_DIR: dataDir,
      PORT: String(await freePort()),
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('data folder is in use by process');
    expect(await server.stop()).toBe(0);

    const after = await runGatehouse(['keys', 'list'], { GATEHOUSE_DATA_DIR: dataDir });
    expect(after.stdout).toBe(before.stdout);
    expect(after.stdout.trim().split('\n')).toHaveLength(4);
  });

  test('init: root exists already; --new-link replaces the link', async () => {
    const again = await runGatehouse(['init'], { GATEHOUSE_DATA_DIR: dataDir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already exists');
    const fresh = await runGatehouse(['init', '--new-link'], { GATEHOUSE_DATA_DIR: dataDir });
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/\/setup\?token=[\w-]{43}/);
  });

  test('keys rotate adds a key per algorithm and keeps the old ones for the overlap', async () => {
    const rotated = await runGatehouse(['keys', 'rotate', '--overlap', '1d'], {
      GATEHOUSE_DATA_DIR: dataDir,
    });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout.trim().split('\n')).toHaveLength(4);
    const list = await runGatehouse(['keys', 'list'], { GATEHOUSE_DATA_DIR: dataDir });
    const lines = list.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('ES256'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('retiring at'))).toHaveLength(4);
  });

  test('a wrong master key fails start-up with one line and changes nothing', async () => {
    const ran = await runGatehouse(['serve'], {
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_MASTER_KEY: randomBytes(32).toString('base64'),
      PORT: String(port),
    });
    expect(ran.code).toBe(1);
    expect(singleLine(ran.stderr)).toEqual([
      expect.stringMatching(/^gatehouse serve: master key does not match the key ring in the database/),
    ]);
    const list = await runGatehouse(['keys', 'list'], { GATEHOUSE_DATA_DIR: dataDir });
    expect(list.stdout.trim().split('\n')).toHaveLength(8);
  });

  test('migrate --status lists applied migrations', async () => {
    const ran = await runGatehouse(['migrate', '--status'], { GATEHOUSE_DATA_DIR: dataDir });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^applied {2}0001_foundation\.sql/m);
  });
});

describe.runIf(hasPostgres)('serve on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  test('two nodes starting at the same moment apply each migration once; logs hold no secret', async () => {
    const masterKey = randomBytes(32).toString('base64');
    const url = new URL(database.url);
    url.password = 'Sup3rSecretDbPw'; // trust authentication here: the password is carried, not checked
    const env = {
      DATABASE_URL: url.toString(),
      GATEHOUSE_MASTER_KEY: masterKey,
      GATEHOUSE_LOG_LEVEL: 'debug',
    };
    const [portA, portB] = [await freePort(), await freePort()];
    const a = serveProcess({ ...env, PORT: String(portA), GATEHOUSE_DATA_DIR: tempDir() });
    const b = serveProcess({ ...env, PORT: String(portB), GATEHOUSE_DATA_DIR: tempDir() });
    await Promise.all([a.waitReady(`http://127.0.0.1:${portA}`), b.waitReady(`http://127.0.0.1:${portB}`)]);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query(
      'select version, count(*)::int as n from schema_migrations group by version',
    );
    const keys = await client.query('select alg, count(*)::int as n from keys group by alg');
    const roots = await client.query('select count(*)::int as n from users where is_root');
    await client.end();
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(keys.rows.every((r) => r.n === 1)).toBe(true);
    expect(roots.rows[0].n).toBe(1);
    const applied = [a, b].filter((s) => s.out.stdout.includes('"msg":"migrations applied"'));
    expect(applied).toHaveLength(1);
    // Exactly one of them created root and printed the link.
    expect([a, b].filter((s) => s.out.stderr.includes('Root administrator created'))).toHaveLength(1);

    await fetch(`http://127.0.0.1:${portA}/metrics`);
    await fetch(`http://127.0.0.1:${portB}/nope`, { headers: { authorization: 'Bearer abc' } });
    expect([await a.stop(), await b.stop()]).toEqual([0, 0]);
    for (const server of [a, b]) {
      const everything = server.out.stdout + server.out.stderr;
      expect(everything).not.toContain('Sup3rSecretDbPw');
      expect(everything).not.toContain(masterKey);
      expect(everything).not.toContain(Buffer.from(masterKey, 'base64').toString('hex'));
    }
  });
});

describe('audit on the command line', () => {
  test('verify passes on an intact log, names the tampered row, and export writes JSON lines', async () => {
    const dataDir = tempDir();
    expect((await runGatehouse(['init'], { GATEHOUSE_DATA_DIR: dataDir })).code).toBe(0);
    expect((await runGatehouse(['init', '--new-link'], { GATEHOUSE_DATA_DIR: dataDir })).code).toBe(0);
    const verified = await runGatehouse(['audit', 'verify'], { GATEHOUSE_DATA_DIR: dataDir });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/audit log intact: 3 entries/);

    const exported = await runGatehouse(['audit', 'export'], { GATEHOUSE_DATA_DIR: dataDir });
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.action)).toEqual(['user.create', 'user.setup_link', 'user.setup_link']);
    expect(lines[2].actor).toBe('cli');
    expect(exported.stdout).not.toMatch(/token=/);

    // Edit row 2 behind the application's back (the trigger refuses it; a superuser would not).
    const { openPglite } = await import('../../src/store/pglite.ts');
    const db = await openPglite(dataDir);
    await db.exec('alter table audit_log disable trigger audit_log_no_update');
    await db.query(`update audit_log set actor = 'mallory' where seq = 2`);
    await db.close();
    const broken = await runGatehouse(['audit', 'verify'], { GATEHOUSE_DATA_DIR: dataDir });
    expect(broken.code).toBe(1);
    expect(broken.stderr.trim()).toBe('audit log broken at row 2: content does not match its hash');
  });
});
