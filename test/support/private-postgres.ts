// A PostgreSQL cluster of a test's own (initdb in a temp dir, a free port), for tests that must
// stop and start the server: the shared one on 5432 serves every other test. Runs as the
// `postgres` OS user (initdb refuses root). Trust authentication on 127.0.0.1 only.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server.ts';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export const privatePostgresAvailable = () => existsSync(join(BIN, 'initdb')) && process.getuid?.() === 0;

export interface PrivatePostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

const asPostgres = (args: string[]) => run('runuser', ['-u', 'postgres', '--', ...args], { timeout: 60_000 });

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-pg-'));
  chownSync(dir, 101, 104);
  const data = join(dir, 'data');
  const port = await freePort();
  await asPostgres([join(BIN, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const ctl = (action: 'start' | 'stop') =>
    asPostgres([
      join(BIN, 'pg_ctl'),
      '-D',
      data,
      '-w',
      '-l',
      join(dir, 'log'),
      ...(action === 'start'
        ? ['-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']
        : ['-m', 'fast', 'stop']),
    ]);
  await ctl('start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => {
      await ctl('start');
    },
    stop: async () => {
      await ctl('stop');
    },
    async destroy() {
      await ctl('stop').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
