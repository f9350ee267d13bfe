import { createServer, type IncomingMessage, type Server } from 'node:http';
import { loadConfig } from '../../../src/config/load.ts';
import { createHandler } from '../../../src/http/app.ts';
import { appRouters } from '../../../src/http/routers.ts';
import { createLogger } from '../../../src/log.ts';
import { type Runtime, startRuntime } from '../../../src/runtime.ts';
import { createTestDatabase } from '../../support/postgres.ts';
import { freePort, logCapture, tempDir } from '../../support/server.ts';

export interface OidcServer {
  url: string;
  issuer: string;
  runtime: Runtime;
  logs: ReturnType<typeof logCapture>;
  stop(): Promise<void>;
}

/**
 * The whole application (every router, as `serve` has them) on a port chosen beforehand, so that
 * GATEHOUSE_URL, and so the issuer, is the address the test talks to.
 */
export async function startOidcServer(
  backend: 'pglite' | 'postgres',
  env: Record<string, string> = {},
): Promise<OidcServer> {
  const database = backend === 'postgres' ? await createTestDatabase() : undefined;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    env: {
      GATEHOUSE_URL: url,
      GATEHOUSE_DATA_DIR: tempDir(),
      GATEHOUSE_LOG_LEVEL: 'debug',
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...env,
    },
    cwd: tempDir(),
  });
  const logs = logCapture();
  const runtime = await startRuntime(config, createLogger('debug', logs.stream));
  const server = createServer(createHandler(runtime, appRouters(runtime)));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url,
    issuer: `${url}/oidc`,
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

/** A tiny HTTP server that records what is posted to it (back-channel logout receiver). */
export async function recorder(): Promise<{
  url: string;
  bodies: string[];
  next(): Promise<string>;
  close(): Promise<void>;
}> {
  const bodies: string[] = [];
  const waiting: ((body: string) => void)[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      bodies.push(body);
      waiting.shift()?.(body);
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/backchannel`,
    bodies,
    next: () =>
      bodies.length > waiting.length
        ? Promise.resolve(bodies[bodies.length - 1]!)
        : new Promise((resolve) => waiting.push(resolve)),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
