import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config/schema.ts';
import { bootstrapRoot, setupUrl } from './directory/bootstrap.ts';
import { createHandler, type RequestHandler } from './http/app.ts';
import { appFastRoutes, appRouters } from './http/routers.ts';
import { type StartupStep, startingHandler } from './http/starting.ts';
import type { Logger } from './log.ts';
import { startEventConsumer } from './revocation/consumer.ts';
import { type Runtime, startRuntime } from './runtime.ts';
import { startSessionHousekeeping } from './sessions/housekeeping.ts';
import { startSyncScheduler } from './sync/scheduler.ts';

export interface RunningServer {
  runtime: Runtime;
  server: Server;
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), closes the database. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  migrate?: boolean;
  /** Where the one-time set-up link is printed (never the log). */
  announce?: (line: string) => void;
}

/**
 * Listens first, answering "starting" (`/healthz` 200, `/readyz` 503 naming the step, anything
 * else 503) while the runtime loads, then hands every request to the application. A node thus
 * refuses all credentials and tokens until its revocation set is loaded, and is not mistaken for
 * a dead one meanwhile.
 */
export async function serve(config: Config, log: Logger, options: ServeOptions = {}): Promise<RunningServer> {
  let step: StartupStep = { check: 'database', status: 'connecting' };
  let handle: RequestHandler = startingHandler(() => step);
  const server = createServer((req, res) => handle(req, res));
  server.keepAliveTimeout = 65_000; // longer than common load balancer idle timeouts
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const closeServer = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  let runtime: Runtime;
  try {
    runtime = await startRuntime(config, log, {
      ...(options.migrate === undefined ? {} : { migrate: options.migrate }),
      progress: (check, status) => {
        step = { check, status };
      },
    });
  } catch (error) {
    await closeServer();
    throw error;
  }
  try {
    step = { check: 'directory', status: 'bootstrapping' };
    const link = await bootstrapRoot(runtime.db);
    if (link) {
      const announce = options.announce ?? ((line: string) => process.stderr.write(`${line}\n`));
      announce(
        `Root administrator created. Set it up within one hour, once, at:\n  ${setupUrl(config.url, link.token)}\n(\`gatehouse init --new-link\` issues a new link.)`,
      );
      log.info({ userId: link.userId }, 'root administrator created; set-up link printed to the console');
    }
    handle = createHandler(runtime, appRouters(runtime), appFastRoutes);
    log.info({ port, backend: runtime.db.kind, url: config.url }, 'gatehouse listening');
    const scheduler = startSyncScheduler(runtime);
    const stopHousekeeping = startSessionHousekeeping(runtime);
    // Ends what a revoked user holds (portal sessions, OIDC grants + back-channel logout, SAML
    // logout): once across nodes, whichever holds the consumer's lock.
    const consequences = await startEventConsumer(
      runtime.db,
      'revocation-consequences',
      runtime.consequences.handler(log),
      log,
    );

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        log.info('shutting down');
        stopHousekeeping();
        await consequences.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const deadline = setTimeout(() => server.closeAllConnections(), config.http.shutdownTimeout);
        // A sync in progress stops at its next batch (incomplete: it changes nothing destructive).
        const syncStopped = scheduler.stop();
        await closed;
        clearTimeout(deadline);
        await syncStopped;
        await runtime.close();
        log.info('stopped');
      })());
    return { runtime, server, url: `http://127.0.0.1:${port}`, port, stop };
  } catch (error) {
    await closeServer();
    await runtime.close().catch(() => {});
    throw error;
  }
}
