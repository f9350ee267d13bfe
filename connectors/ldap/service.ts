// The service-account connection: one lazily opened, bound client, reopened (with failover) when
// it drops. Searches are multiplexed on it; user binds never happen here.
import type { Client } from 'ldapts';
import {
  type ConnectionOptions,
  closeQuietly,
  describe,
  isConnectionError,
  openBound,
} from './connection.ts';

export type Outcome<T> = { ok: true; value: T; url: string } | { ok: false; message: string };

export interface ServiceConnection {
  /** Runs fn on the bound service client; on a connection failure reconnects and retries once. */
  run<T>(fn: (client: Client, url: string) => Promise<T>): Promise<Outcome<T>>;
  close(): Promise<void>;
}

export function createServiceConnection(
  opts: ConnectionOptions,
  bindDN: string,
  password: string,
): ServiceConnection {
  let current: Promise<{ client: Client; url: string } | { error: string }> | null = null;

  function acquire(): Promise<{ client: Client; url: string } | { error: string }> {
    if (!current) {
      current = openBound(opts, bindDN, password).then((o) => {
        if (o.ok) return { client: o.client, url: o.url };
        current = null; // do not cache failures
        return { error: o.error ? `service account bind failed: ${o.message}` : o.message };
      });
    }
    return current;
  }

  async function drop(client: Client): Promise<void> {
    const mine = current ? await current : null;
    if (mine && 'client' in mine && mine.client === client) current = null;
    // Not awaited: an unbind on a half-closed socket can wait for its timeout, and nobody needs it.
    void closeQuietly(client);
  }

  return {
    async run(fn) {
      let last = '';
      for (let attempt = 0; attempt < 2; attempt++) {
        const c = await acquire();
        if ('error' in c) return { ok: false, message: c.error };
        if (!c.client.isBound) {
          await drop(c.client);
          last = `${c.url}: connection lost`;
          continue;
        }
        try {
          return { ok: true, value: await fn(c.client, c.url), url: c.url };
        } catch (e) {
          if (!isConnectionError(e)) throw e;
          await drop(c.client);
          last = `${c.url}: ${describe(e)}`;
        }
      }
      return { ok: false, message: last };
    },
    async close() {
      const c = await current;
      current = null;
      if (c && 'client' in c) await closeQuietly(c.client);
    },
  };
}
