import { CLI } from '../audit/audit.ts';
import { loadConfig } from '../config/load.ts';
import { parseDuration } from '../duration.ts';
import { checkMasterKey } from '../keys/keyring.ts';
import { loadMasterKey } from '../keys/master-key.ts';
import type { Db } from '../store/db.ts';
import { migrationStatus } from '../store/migrate.ts';
import { openDb } from '../store/open.ts';
import { type ApiToken, listTokens, revokeToken, type TokenKind } from '../tokens/tokens.ts';
import type { CommandContext } from './commands.ts';
import { UsageError } from './io.ts';

/**
 * What `gatehouse tokens` and `gatehouse scim tokens` share: both list and revoke rows of the
 * same token table and take `--expires` the same way; only creation differs.
 */

/** The configured database, after checking the master key and that migrations are applied. */
export async function withMigratedDb(
  context: CommandContext,
  fn: (db: Db) => Promise<number>,
): Promise<number> {
  const config = loadConfig({ env: context.io.env, file: context.configFile, cwd: context.io.cwd });
  const master = loadMasterKey(config.masterKey, config.dataDir);
  const db = await openDb(config);
  try {
    await checkMasterKey(db, master.key);
    if ((await migrationStatus(db)).pending.length)
      throw new Error('database needs migrations; run gatehouse migrate first');
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** `--expires 30d` as a moment; undefined when the option was not given. */
export function expiryOf(option: string | undefined): Date | undefined {
  if (option === undefined) return undefined;
  const ms = parseDuration(option);
  if (!ms) throw new UsageError('--expires: expected a duration like 30d or 12h');
  return new Date(Date.now() + ms);
}

/** `list` and `revoke ID`; undefined when the action is neither. */
export function listOrRevoke(
  context: CommandContext,
  action: string | undefined,
  rest: string[],
  tokens: { kind: TokenKind; command: string; none: string },
): Promise<number> | undefined {
  const { io } = context;
  if (action === 'list') {
    if (rest.length) throw new UsageError(`unexpected ${rest.join(' ')}`);
    return withMigratedDb(context, async (db) => {
      const listed = await listTokens(db, tokens.kind);
      if (!listed.length) io.stdout(tokens.none);
      for (const token of listed) io.stdout(describe(token));
      return 0;
    });
  }
  if (action === 'revoke') {
    if (rest.length !== 1) throw new UsageError(`expected "${tokens.command} revoke ID"`);
    const id = rest[0]!;
    return withMigratedDb(context, async (db) => {
      const token = await db.transaction((tx) => revokeToken(tx, CLI, id, tokens.kind));
      io.stdout(`revoked ${token.id} "${token.name}"`);
      return 0;
    });
  }
  return undefined;
}

export function describe(token: ApiToken): string {
  const now = Date.now();
  const state = token.revokedAt
    ? `revoked ${token.revokedAt.toISOString()}`
    : token.expiresAt && token.expiresAt.getTime() <= now
      ? `expired ${token.expiresAt.toISOString()}`
      : token.expiresAt
        ? `active until ${token.expiresAt.toISOString()}`
        : 'active';
  const used = token.lastUsedAt ? `last used ${token.lastUsedAt.toISOString()}` : 'never used';
  const scopes = token.kind === 'scim' ? 'scim' : token.scopes.join(',');
  return `${token.id}  ${JSON.stringify(token.name)}  ${scopes}  ${state}  ${used}  created ${token.createdAt.toISOString()} by ${token.createdBy}`;
}
