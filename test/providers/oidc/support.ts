import { createServer, type IncomingMessage, type Server } from 'node:http';
import { loadConfig } from '../../../src/config/load.ts';
import { createHandler } from '../../../src/http/app.ts';
import { appRouters } from '../../../src/http/routers.ts';
import { createLogger } from '../../../src/log.ts';
import { type Runtime, startRuntime } from '../../../src/runtime.ts';
import { createTestDatabase } from '../../support/postgres.ts';
import { freePort, logCapture, tempDir } from '../../support/server.ts';
import { CookieJar, type Credentials, completeSignIn, hidden, postForm } from '../../support/signin.ts';

export { CookieJar };

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

/** What a browser does between an authorization request and the redirect back to the client. */
export interface BrowseOptions {
  /** Where the client's redirect URIs live: the walk stops at the first redirect there. */
  stopAt: string;
  /** Sign-in credentials, used when the walk reaches the sign-in page. */
  credentials?: Credentials;
  /** What to do on a consent page (default: allow). */
  consent?: 'allow' | 'deny';
}

/**
 * Follows an authorization (or device, or logout) flow as a browser would: redirects, the sign-in
 * pages (password and TOTP), the consent page. Returns the URL the server finally sent the
 * browser to (under `stopAt`), or the last page when the flow ends on one.
 */
export async function browse(
  jar: CookieJar,
  start: string,
  options: BrowseOptions,
): Promise<{ location?: string; page?: { status: number; body: string; url: string } }> {
  let location = start;
  for (let hops = 0; hops < 20; hops++) {
    if (location.startsWith(options.stopAt)) return { location };
    const path = new URL(location).pathname;
    if (path === '/signin') {
      if (!options.credentials) throw new Error(`sign-in asked for at ${location}`);
      const done = await completeSignIn(jar, location, options.credentials);
      location = new URL(done.location, location).href;
      continue;
    }
    const response = await jar.fetch(location);
    if (process.env['BROWSE_DEBUG'])
      console.log('BROWSE', response.status, location, response.headers.get('location'));
    if (response.status >= 300 && response.status < 400) {
      location = new URL(response.headers.get('location')!, location).href;
      continue;
    }
    const body = await response.text();
    const consent = /<form method="post" action="([^"]+\/confirm)">/.exec(body);
    if (response.status === 200 && consent) {
      const answer = await postForm(jar, new URL(consent[1]!, location).href, {
        csrf: hidden(body, 'csrf')!,
        decision: options.consent ?? 'allow',
      });
      if (answer.status !== 303) throw new Error(`consent answered ${answer.status}`);
      location = new URL(answer.headers.get('location')!, location).href;
      continue;
    }
    return { page: { status: response.status, body, url: location } };
  }
  throw new Error('too many redirects');
}
