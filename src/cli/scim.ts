import { CLI } from '../audit/audit.ts';
import { createScimToken, MAX_ACTIVE_SCIM_TOKENS } from '../scim/tokens.ts';
import type { Command } from './commands.ts';
import { parseCommandArgs, UsageError } from './io.ts';
import { expiryOf, listOrRevoke, withMigratedDb } from './token-actions.ts';

const USAGE = `gatehouse scim tokens create --name NAME [--expires 90d]
  gatehouse scim tokens list
  gatehouse scim tokens revoke ID

SCIM tokens authenticate identity providers (Okta, Entra ID, …) to /scim/v2 and are good for
nothing else. create prints the token on stdout, once (only its hash is kept). They always
expire (default 90 days, at most 366 days); at most ${MAX_ACTIVE_SCIM_TOKENS} are active at a time: to rotate, create
the new one, switch the identity provider to it, then revoke the old one.`;

/** `gatehouse scim tokens …`: SCIM provisioning tokens. */
const OPTIONS = {
  name: { type: 'string' },
  expires: { type: 'string' },
} as const;

export const scimCommand: Command = {
  summary: 'SCIM provisioning tokens: scim tokens create --name N, scim tokens list, scim tokens revoke ID',
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    const { io } = context;
    if (values.help || positionals.length === 0) {
      io.stdout(`${this.summary}\n\nusage: ${USAGE}`);
      return values.help ? 0 : 2;
    }
    const [group, action, ...rest] = positionals;
    if (group !== 'tokens') throw new UsageError('expected "scim tokens create|list|revoke"');
    if (action === 'create') {
      if (rest.length) throw new UsageError(`unexpected ${rest.join(' ')}`);
      if (!values.name) throw new UsageError('--name is required');
      const expiresAt = expiryOf(values.expires);
      const name = values.name;
      return withMigratedDb(context, async (db) => {
        const created = await db.transaction((tx) => createScimToken(tx, CLI, { name, expiresAt }));
        io.stdout(created.token);
        io.stderr(
          `Created SCIM token ${created.id} "${created.name}", expires ${created.expiresAt?.toISOString()}.\nStore it now in the identity provider's provisioning settings: it is shown once and cannot be shown again.`,
        );
        return 0;
      });
    }
    if (values.name !== undefined || values.expires !== undefined)
      throw new UsageError('--name and --expires belong to "scim tokens create"');
    const listed = listOrRevoke(context, action, rest, {
      kind: 'scim',
      command: 'scim tokens',
      none: 'no SCIM tokens',
    });
    if (listed) return listed;
    throw new UsageError('expected "scim tokens create", "scim tokens list" or "scim tokens revoke ID"');
  },
};
