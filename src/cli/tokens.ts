import { CLI } from '../audit/audit.ts';
import { SCOPE_DESCRIPTIONS, SCOPES, type Scope } from '../tokens/scopes.ts';
import { createToken } from '../tokens/tokens.ts';
import type { Command } from './commands.ts';
import { parseCommandArgs, UsageError } from './io.ts';
import { expiryOf, listOrRevoke, withMigratedDb } from './token-actions.ts';

const USAGE = `gatehouse tokens create --name NAME --scope SCOPE [--scope SCOPE…] [--expires 30d]
  gatehouse tokens list
  gatehouse tokens revoke ID

create prints the token on stdout, once: store it in a secret store at once, it cannot be shown
again (only its hash is kept). Without --expires the token works until it is revoked.
scopes:
${SCOPES.map((s) => `  ${s.padEnd(16)} ${SCOPE_DESCRIPTIONS[s]}`).join('\n')}`;

/** `gatehouse tokens …`: admin API tokens (bearer tokens for /api/v1). */
const OPTIONS = {
  name: { type: 'string' },
  scope: { type: 'string', multiple: true },
  expires: { type: 'string' },
} as const;

export const tokensCommand: Command = {
  summary: 'admin API tokens: tokens create --name N --scope S…, tokens list, tokens revoke ID',
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
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
      const expiresAt = expiryOf(values.expires);
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
    const listed = listOrRevoke(context, action, rest, {
      kind: 'admin',
      command: 'tokens',
      none: 'no API tokens',
    });
    if (listed) return listed;
    throw new UsageError('expected "tokens create", "tokens list" or "tokens revoke ID"');
  },
};
