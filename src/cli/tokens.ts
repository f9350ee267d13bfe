import { parseArgs } from 'node:util';
import { CLI } from '../audit/audit.ts';
import { loadConfig } from '../config/load.ts';
import { parseDuration } from '../duration.ts';
import { checkMasterKey } from '../keys/keyring.ts';
import { loadMasterKey } from '../keys/master-key.ts';
import type { Db } from '../store/db.ts';
import { migrationStatus } from '../store/migrate.ts';
import { openDb } from '../store/open.ts';
import { SCOPE_DESCRIPTIONS, SCOPES, type Scope } from '../tokens/scopes.ts';
import { type ApiToken, createToken, listTokens, revokeToken } from '../tokens/tokens.ts';
import type { Command, CommandContext } from './commands.ts';
import { UsageError } from './io.ts';

const USAGE = `gatehouse tokens create --name NAME --scope SCOPE [--scope SCOPE…] [--expires 30d]
  gatehouse tokens list
  gatehouse tokens revoke ID

create prints the token on stdout, once: store it in a secret store at once, it cannot be shown
again (only its hash is kept). Without --expires the token works until it is revoked.
scopes:
${SCOPES.map((s) => `  ${s.padEnd(16)} ${SCOPE_DESCRIPTIONS[s]}`).join('\n')}`;

/** `gatehouse tokens …`: admin API tokens (bearer tokens for /api/v1). */
export const tokensCommand: Command = {
  summary: 'admin API tokens: tokens create --name N --scope S…, tokens list, tokens revoke ID',
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parse(args);
    const { io } = context;
    if (values.help) {
      io.stdout(`${this.summary}\n\nusage: ${USAGE}`);
      return 0;
    }
    const [action, ...rest] = positionals;
    if (action === 'create') {
      if (rest.length) throw new UsageError(`unexpected ${rest.join(' ')}`);
      if (!values.name) throw new UsageError('--name is required');
      const scopes = values.scope ?? [];
      if (!scopes.length) throw new UsageError(`at least one --scope is required (${SCOPES.join(', ')})`);
      const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
      if (unknown.length)
        throw new UsageError(`unknown scope ${unknown.join(', ')}; scopes are ${SCOPES.join(', ')}`);
      let expiresAt: Date | undefined;
      if (values.expires !== undefined) {
        const ms = parseDuration(values.expires);
        if (!ms) throw new UsageError('--expires: expected a duration like 30d or 12h');
        expiresAt = new Date(Date.now() + ms);
      }
      const name = values.name;
      return withMigratedDb(context, async (db) => {
        const created = await db.transaction((tx) =>
          createToken(tx, CLI, { name, scopes: scopes as Scope[], expiresAt }),
        );
        io.stdout(created.token);
        io.stderr(
          `Created API token ${created.id} "${created.name}" (${created.scopes.join(', ')}), ${
            created.expiresAt ? `expires ${created.expiresAt.toISOString()}` : 'no expiry'
          }.\nStore it now in a secret store: it is shown once and cannot be shown again.`,
        );
        return 0;
      });
    }
    if (values.name !== undefined || values.scope !== undefined || values.expires !== undefined)
      throw new UsageError('--name, --scope and --expires belong to "tokens create"');
    if (action === 'list') {
      if (rest.length) throw new UsageError(`unexpected ${rest.join(' ')}`);
      return withMigratedDb(context, async (db) => {
        const tokens = await listTokens(db);
        if (!tokens.length) io.stdout('no API tokens');
        for (const token of tokens) io.stdout(describe(token));
        return 0;
      });
    }
    if (action === 'revoke') {
      if (rest.length !== 1) throw new UsageError('expected "tokens revoke ID"');
      const id = rest[0]!;
      return withMigratedDb(context, async (db) => {
        const token = await db.transaction((tx) => revokeToken(tx, CLI, id));
        io.stdout(`revoked ${token.id} "${token.name}"`);
        return 0;
      });
    }
    throw new UsageError('expected "tokens create", "tokens list" or "tokens revoke ID"');
  },
};

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        name: { type: 'string' },
        scope: { type: 'string', multiple: true },
        expires: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

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
