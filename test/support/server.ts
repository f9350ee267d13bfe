import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type Router from '@koa/router';
import { loadConfig } from '../../src/config/load.ts';
import { createHandler } from '../../src/http/app.ts';
import type { FastRoute } from '../../src/http/routes/authorize-fast.ts';
import { createLogger } from '../../src/log.ts';
import { type Runtime, startRuntime } from '../../src/runtime.ts';
import { createTestDatabase } from './postgres.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const tempDir = (prefix = 'gh-test-') => mkdtempSync(join(tmpdir(), prefix));

/** Log lines written by a runtime, kept for assertions (e.g. "no secret was logged"). */
export function logCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines, text: () => lines.join('\n') };
}

export interface TestServer {
  url: string;
  runtime: Runtime;
  logs: ReturnType<typeof logCapture>;
  stop(): Promise<void>;
}

/** An in-process server on a free port over the given backend, with routers under test. */
export async function startTestServer(options: {
  backend: 'pglite' | 'postgres';
  env?: Record<string, string>;
  routers?: (runtime: Runtime) => Router[];
  /** Routes answered before Koa (src/http/routers.ts appFastRoutes). */
  fast?: (runtime: Runtime) => FastRoute[];
  /** gatehouse.yaml contents (settings that exist only in the file, such as connectors). */
  yaml?: string;
}): Promise<TestServer> {
  const database = options.backend === 'postgres' ? await createTestDatabase() : undefined;
  const env = {
    GATEHOUSE_DATA_DIR: tempDir(),
    GATEHOUSE_LOG_LEVEL: 'debug',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  };
  const cwd = tempDir();
  if (options.yaml) writeFileSync(join(cwd, 'gatehouse.yaml'), options.yaml);
  const config = loadConfig({ env, cwd });
  const logs = logCapture();
  const runtime = await startRuntime(config, createLogger('debug', logs.stream));
  const server = createServer(createHandler(runtime, options.routers?.(runtime) ?? [], options.fast)).listen(
    0,
    '127.0.0.1',
  );
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    runtime,
    logs,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await runtime.close().catch(() => {});
      await database?.drop();
    },
  };
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `gatehouse …` as users do (node src/main.ts), to completion. */
export function runGatehouse(
  args: string[],
  env: Record<string, string> = {},
  cwd = tempDir(),
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawnGatehouse(args, env, cwd);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function spawnGatehouse(args: string[], env: Record<string, string>, cwd: string): ChildProcess {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('GATEHOUSE_') && k !== 'DATABASE_URL' && k !== 'PORT',
    ),
  );
  return spawn(process.execPath, [join(ROOT, 'src/main.ts'), ...args], {
    cwd,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A long-running `gatehouse serve`, with its output collected. */
export function serveProcess(env: Record<string, string>, cwd = tempDir()) {
  const child = spawnGatehouse(['serve'], env, cwd);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => {
    out.stdout += d;
  });
  child.stderr!.on('data', (d) => {
    out.stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    out,
    exited,
    async waitReady(url: string, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${out.stderr}`);
        try {
          if ((await fetch(`${url}/readyz`)).status === 200) return;
        } catch {}
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`not ready after ${timeoutMs} ms: ${out.stderr}`);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
