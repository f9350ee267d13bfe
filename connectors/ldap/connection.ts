// Opening LDAP connections: failover over the configured URLs, TLS (LDAPS or StartTLS with the
// configured CA and hostname checking), timeouts. One Client = one socket: ldapts would otherwise
// silently reconnect a dropped socket without TLS and without bind, so reconnects are refused here.
import net from 'node:net';
import tls from 'node:tls';
import { Client, type Control, ResultCodeError } from 'ldapts';

export interface ConnectionOptions {
  urls: string[];
  ca: Buffer | undefined;
  startTLS: boolean;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
}

export type Opened =
  | { ok: true; client: Client; url: string }
  | { ok: false; error: unknown; message: string };

/** Result codes that mean "this server cannot serve now" (busy, unavailable): try the next one. */
const SERVER_DOWN_CODES = new Set([51, 52]);

/** True when the failure is about reaching the server rather than about the request. */
export function isConnectionError(e: unknown): boolean {
  if (e instanceof ResultCodeError) return SERVER_DOWN_CODES.has(e.code);
  return true;
}

export function describe(e: unknown): string {
  if (e instanceof ResultCodeError) return `${e.name} (${e.code}): ${e.message}`;
  if (e instanceof Error)
    return (e as NodeJS.ErrnoException).code
      ? `${(e as NodeJS.ErrnoException).code}: ${e.message}`
      : e.message;
  return String(e);
}

/**
 * Connects to the first URL that answers and binds there. Connection-level failures move on to the
 * next URL; a bind refusal (wrong password, …) is returned at once as the failure of that URL.
 */
export async function openBound(
  opts: ConnectionOptions,
  dn: string,
  password: string,
  controls: Control[] = [],
  urls: string[] = opts.urls,
): Promise<Opened> {
  const failures: string[] = [];
  for (const url of urls) {
    const client = createClient(opts, url);
    try {
      if (opts.startTLS) await withTimeout(upgrade(client, url, opts), opts.connectTimeoutMs, 'StartTLS');
      await client.bind(dn, password, controls);
      return { ok: true, client, url };
    } catch (e) {
      await closeQuietly(client);
      if (!isConnectionError(e)) return { ok: false, error: e, message: `${url}: ${describe(e)}` };
      failures.push(`${url}: ${describe(e)}`);
    }
  }
  return { ok: false, error: null, message: `no LDAP server reachable (${failures.join('; ')})` };
}

export async function closeQuietly(client: Client): Promise<void> {
  try {
    await withTimeout(client.unbind(), 1000, 'unbind');
  } catch {
    // The socket is gone either way.
  }
}

function createClient(opts: ConnectionOptions, url: string): Client {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const secure = url.toLowerCase().startsWith('ldaps://');
  let sockets = 0;
  let tlsSockets = 0;
  const createConnection = ((...args: Parameters<typeof net.connect>) => {
    if (sockets++ > 0) throw new Error('connection lost (reconnect refused)');
    return (net.connect as (...a: unknown[]) => net.Socket)(...args);
  }) as typeof net.connect;
  const createSecureConnection = ((...args: Parameters<typeof tls.connect>) => {
    if (tlsSockets++ > 0) throw new Error('connection lost (reconnect refused)');
    return (tls.connect as (...a: unknown[]) => tls.TLSSocket)(...args);
  }) as typeof tls.connect;
  return new Client({
    url,
    connectTimeout: opts.connectTimeoutMs,
    timeout: opts.operationTimeoutMs,
    // Only for ldaps://: ldapts switches to TLS whenever tlsOptions is set.
    ...(secure ? { tlsOptions: tlsOptions(opts, host) } : {}),
    createConnection,
    createSecureConnection,
  });
}

function tlsOptions(opts: ConnectionOptions, host: string): tls.ConnectionOptions {
  return {
    ...(opts.ca ? { ca: opts.ca } : {}),
    host,
    // SNI takes names only; the certificate is still checked against an IP host.
    ...(net.isIP(host) ? {} : { servername: host }),
    minVersion: 'TLSv1.2',
  };
}

async function upgrade(client: Client, url: string, opts: ConnectionOptions): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  await client.startTLS(tlsOptions(opts, host));
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (!ms) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
