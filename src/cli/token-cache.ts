import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** A signed-in CLI session with one server: the OpenID tokens of the `gatehouse-cli` client. */
export const cachedTokenSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  idToken: z.string().optional(),
  /** Epoch milliseconds. */
  expiresAt: z.number(),
  tokenEndpoint: z.string().url(),
});
export type CachedToken = z.infer<typeof cachedTokenSchema>;

const cacheFileSchema = z.object({ servers: z.record(z.string(), cachedTokenSchema) });

/** `$GATEHOUSE_HOME`, or `~/.gatehouse`: the CLI's folder (not the server's data folder). */
export const cliHome = (env: Readonly<Record<string, string | undefined>>): string =>
  env['GATEHOUSE_HOME'] || join(homedir(), '.gatehouse');

const cacheFile = (home: string) => join(home, 'tokens.json');

/** The cached tokens per server URL; a missing or unreadable file is an empty cache. */
function readCache(home: string): z.infer<typeof cacheFileSchema> {
  try {
    const parsed = cacheFileSchema.safeParse(JSON.parse(readFileSync(cacheFile(home), 'utf8')));
    return parsed.success ? parsed.data : { servers: {} };
  } catch {
    return { servers: {} };
  }
}

export function readToken(home: string, server: string): CachedToken | undefined {
  return readCache(home).servers[server];
}

/**
 * Writes the cache readable by its owner only: the folder 0700, the file 0600, replaced atomically
 * (a concurrent reader sees the old file or the new one, never half of one).
 */
export function writeToken(home: string, server: string, token: CachedToken | undefined): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  const cache = readCache(home);
  if (token) cache.servers[server] = token;
  else delete cache.servers[server];
  const temporary = `${cacheFile(home)}.${randomBytes(6).toString('hex')}`;
  writeFileSync(temporary, `${JSON.stringify(cache, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, cacheFile(home));
}

/** A token is refreshed when it has less than this left (credential_process runs just in time). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
export const needsRefresh = (token: CachedToken, now: number): boolean =>
  token.expiresAt - now < REFRESH_MARGIN_MS;
