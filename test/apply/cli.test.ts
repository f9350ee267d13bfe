import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Db } from '../../src/store/db.ts';
import { openPglite } from '../../src/store/pglite.ts';
import { openPostgres } from '../../src/store/postgres.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.ts';
import { type Ran, ROOT, runGatehouse, tempDir } from '../support/server.ts';
import { HASH_A } from './support.ts';

const kinds = (await postgresAvailable()) ? (['pglite', 'postgres'] as const) : (['pglite'] as const);

const STATE = `users:
  - { userName: alice, displayName: Alice, passwordHash: "${HASH_A}" }
  - { userName: bob }
groups:
  - { name: platform, members: [user:alice, user:bob] }
`;

/** `gatehouse …` with text on standard input. */
function runWithInput(args: string[], env: Record<string, string>, cwd: string, input: string): Promise<Ran> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_') && k !== 'DATABASE_URL'),
  );
  const child = spawn(process.execPath, [join(ROOT, 'src/main.ts'), ...args], {
    cwd,
    env: { ...clean, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const lines = (text: string) => text.trim().split('\n');
/** Every run starts a process and opens the database: seconds each on a busy machine. */
const SLOW = 180_000;

describe.each(kinds)('gatehouse apply on %s', (kind) => {
  const cwd = tempDir('gh-apply-cli-');
  const env: Record<string, string> = {
    GATEHOUSE_DATA_DIR: join(cwd, 'data'),
    GATEHOUSE_MASTER_KEY: randomBytes(32).toString('hex'),
  };
  let database: TestDatabase | undefined;
  const run = (...args: string[]) => runGatehouse(['apply', ...args], env, cwd);
  const openDb = (): Promise<Db> =>
    database
      ? openPostgres({ url: database.url, poolSize: 1, connectTimeout: 5_000, statementTimeout: 30_000 })
      : openPglite(env['GATEHOUSE_DATA_DIR']);

  beforeAll(async () => {
    if (kind === 'postgres') {
      database = await createTestDatabase();
      env['DATABASE_URL'] = database.url;
    }
  });
  afterAll(() => database?.drop());

  test(
    'apply prints the changes (exit 0); again: 0 changes; a dry run shows an edit and changes nothing',
    async () => {
      writeFileSync(join(cwd, 'state.yaml'), STATE);
      const first = await run('-f', 'state.yaml');
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(lines(first.stdout)).toEqual([
        '+ user alice',
        '+ user bob',
        '+ group platform',
        '+ member group:platform ← user:alice',
        '+ member group:platform ← user:bob',
        '5 changes',
      ]);
      const again = await run('-f', 'state.yaml');
      expect([again.code, again.stdout]).toEqual([0, '0 changes\n']);

      writeFileSync(
        join(cwd, 'state.yaml'),
        STATE.replace('displayName: Alice', 'displayName: Alice Anderson'),
      );
      const dry = await run('-f', 'state.yaml', '--dry-run');
      expect([dry.code, lines(dry.stdout)]).toEqual([
        0,
        ['~ user alice: displayName', '1 change (dry run: nothing was changed)'],
      ]);
      const applied = await run('-f', 'state.yaml');
      expect([applied.code, lines(applied.stdout)]).toEqual([0, ['~ user alice: displayName', '1 change']]);
    },
    SLOW,
  );

  test(
    '-f - reads the file from standard input; --prune removes what it no longer declares',
    async () => {
      const piped = await runWithInput(
        ['apply', '-f', '-', '--prune'],
        env,
        cwd,
        'users: [{ userName: alice }]\ngroups: [{ name: platform, members: [user:alice] }]\n',
      );
      expect(piped.stderr).toBe('');
      expect([piped.code, lines(piped.stdout)]).toEqual([
        0,
        ['- user bob (deprovision)', '- member group:platform ← user:bob', '2 changes'],
      ]);
    },
    SLOW,
  );

  test(
    'an invalid file exits 1: one line per problem, with file, line and path; nothing changes',
    async () => {
      writeFileSync(
        join(cwd, 'bad.yaml'),
        'users:\n  - { userName: alice }\n  - { userName: carol, password: hunter2 }\ngroups:\n  - { name: platform, members: [user:alice, user:dave] }\n',
      );
      const ran = await run('-f', 'bad.yaml');
      expect(ran.code).toBe(1);
      expect(ran.stdout).toBe('');
      expect(lines(ran.stderr)).toEqual([
        'gatehouse apply: bad.yaml:3: users[1].password: plaintext passwords are not accepted; use passwordHash (argon2id) or passwordFile',
      ]);
      expect(ran.stderr).not.toContain('hunter2');

      writeFileSync(
        join(cwd, 'bad.yaml'),
        'groups:\n  - { name: platform, members: [user:alice, user:dave] }\nclients: []\n',
      );
      const unknown = await run('-f', 'bad.yaml');
      expect([unknown.code, lines(unknown.stderr)]).toEqual([
        1,
        [
          'gatehouse apply: bad.yaml:3: clients: unknown section "clients" (known: users, groups, accounts, policies, permissionSets, assignments)',
        ],
      ]);
      writeFileSync(
        join(cwd, 'bad.yaml'),
        'groups:\n  - { name: platform, members: [user:alice, user:dave] }\n',
      );
      const reference = await run('-f', 'bad.yaml');
      expect([reference.code, lines(reference.stderr)]).toEqual([
        1,
        ['gatehouse apply: bad.yaml:2: groups[0].members[1]: unknown user "dave"'],
      ]);
    },
    SLOW,
  );

  test(
    'a failed apply exits 1 with the change that failed, and changes nothing',
    async () => {
      const db = await openDb();
      try {
        await db.exec(`
        create function refuse_explode() returns trigger language plpgsql as $$
        begin
          if new.name = 'explode' then raise exception 'explode is not allowed here'; end if;
          return new;
        end $$;
        create trigger refuse_explode before insert on groups for each row execute function refuse_explode();`);
      } finally {
        await db.close();
      }
      writeFileSync(join(cwd, 'boom.yaml'), 'users: [{ userName: zoe }]\ngroups: [{ name: explode }]\n');
      const ran = await run('-f', 'boom.yaml');
      expect(ran.code).toBe(1);
      expect(lines(ran.stderr)).toEqual([
        expect.stringMatching(
          /^gatehouse apply: \+ group explode: .*explode is not allowed here; nothing was changed$/,
        ),
      ]);
      const check = await openDb();
      try {
        const { rows } = await check.query("select count(*)::int as n from users where user_name = 'zoe'");
        expect(rows[0]).toEqual({ n: 0 });
      } finally {
        await check.close();
      }
    },
    SLOW,
  );
});

describe('gatehouse apply: usage', () => {
  test(
    'usage mistakes exit 2 with the usage; an unreadable file exits 1; --help exits 0',
    async () => {
      for (const args of [
        [],
        ['-f', 'a.yaml', '-f', 'b.yaml'],
        ['-f', 'a.yaml', '--force'],
        ['-f', 'a.yaml', 'extra'],
      ]) {
        const ran = await runGatehouse(['apply', ...args]);
        expect(ran.code, args.join(' ')).toBe(2);
        expect(ran.stderr).toContain('usage: gatehouse apply -f FILE [--dry-run] [--prune]');
      }
      const missing = await runGatehouse(['apply', '-f', 'missing.yaml'], { GATEHOUSE_DATA_DIR: tempDir() });
      expect([missing.code, missing.stderr]).toEqual([
        1,
        'gatehouse apply: cannot read missing.yaml: ENOENT\n',
      ]);
      const help = await runGatehouse(['apply', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('--prune');
      expect((await runGatehouse(['--help'])).stdout).toContain('  apply');
    },
    SLOW,
  );
});
