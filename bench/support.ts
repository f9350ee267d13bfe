import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

export const ROOT = new URL('../', import.meta.url).pathname;
export const tempDir = () => mkdtempSync(join(tmpdir(), 'gh-bench-'));

export function machine(): string {
  return `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Requests per second against a URL (autocannon in this process, the server in another). */
export async function requestsPerSecond(
  url: string,
  options: { seconds?: number; connections?: number; expect404?: boolean } = {},
): Promise<number> {
  const result = await autocannon({
    url,
    connections: options.connections ?? 50,
    duration: options.seconds ?? 8,
    pipelining: 1,
  });
  const wrong = options.expect404 ? result.requests.total - result['4xx'] : result.non2xx;
  if (wrong > 0 || result.errors)
    throw new Error(`${url}: ${wrong} unexpected statuses, ${result.errors} errors`);
  return result.requests.average;
}

export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return line ? Number(line[1]) / 1024 : Number.NaN;
}

export interface Started {
  child: ChildProcess;
  readyMs: number;
  stop(): Promise<void>;
}

/** Starts `gatehouse serve` and measures spawn → first 200 from /readyz. */
export async function startGatehouse(env: Record<string, string>, port: number): Promise<Started> {
  const started = performance.now();
  // The same flags as `npm start` and the bin.
  const child = spawn(process.execPath, ['--liftoff-only', join(ROOT, 'src/main.ts'), 'serve'], {
    env: { ...process.env, PORT: String(port), GATEHOUSE_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 10));
  }
  const readyMs = performance.now() - started;
  return {
    child,
    readyMs,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ')).join('\n');
}
