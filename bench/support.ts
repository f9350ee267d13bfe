import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createDerivedKeys, mintCredentials } from '../src/credentials/session-token.ts';
import { compilePolicySet } from '../src/policy/index.ts';
import type { PolicyDocument } from '../src/policy/types.ts';

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

/**
 * What the in-process verification benchmarks verify: a sealing key, credentials minted under it
 * for alice in account 111122223333, and the permission set entry they name, with `policy` inline.
 */
export function benchCredential(policy: PolicyDocument, tags: Record<string, string> = {}) {
  const sealing = { kid: 'seal-bench', key: randomBytes(32) };
  const keys = {
    sealingKey: () => sealing,
    sealingKeyById: (kid: string) => (kid === sealing.kid ? sealing : undefined),
  };
  const now = Date.now();
  const minted = mintCredentials(createDerivedKeys(keys), {
    userId: '00000000-0000-4000-8000-000000000001',
    userName: 'alice',
    accountId: '111122223333',
    permissionSetId: '00000000-0000-4000-8000-000000000002',
    permissionSetVersion: 1,
    sessionId: '00000000-0000-4000-8000-000000000003',
    issuedAt: now,
    expiresAt: now + 3600_000,
    mfa: true,
    tags,
  });
  const entry = {
    id: '00000000-0000-4000-8000-000000000002',
    name: 'Developer',
    version: 1,
    sessionDuration: 'PT1H',
    policies: compilePolicySet({ identity: [{ name: 'Developer', policy }] }),
  };
  return { keys, minted, entry, now };
}
