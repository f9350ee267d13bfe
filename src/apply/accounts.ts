import {
  type Account,
  createAccount,
  deleteAccount,
  listAccounts,
  updateAccount,
} from '../access/accounts.ts';
import { accountCreateSchema } from '../access/schemas.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import { parsed, parseEach } from './problems.ts';
import type { Change, Section } from './section.ts';

/** An account: matched by `id` when given, else by name. Fields left out stay as they are. */
const accountSchema = accountCreateSchema.extend({
  tags: accountCreateSchema.shape.tags.unwrap().optional(),
});
export type AccountEntry = ReturnType<typeof accountSchema.parse>;

/** The account an entry means: by id, else by name (case-insensitive). */
export function matchAccount(
  accounts: Account[],
  ref: { id?: string | undefined; name?: string },
): Account | undefined {
  if (ref.id !== undefined) return accounts.find((a) => a.id === ref.id);
  return accounts.find((a) => a.name.toLowerCase() === ref.name?.toLowerCase());
}

export const accountsSection: Section<AccountEntry> = {
  key: 'accounts',

  parse(value) {
    const { items, problems } = parseEach(accountSchema, value);
    const ids = new Map<string, number>();
    const names = new Map<string, number>();
    items.forEach((entry, i) => {
      if (!entry) return;
      for (const [map, key, field] of [
        [ids, entry.id, 'id'],
        [names, entry.name.toLowerCase(), 'name'],
      ] as const) {
        if (key === undefined) continue;
        const first = map.get(key);
        if (first !== undefined)
          problems.push({ path: [i, field], message: `declared twice (also accounts[${first}])` });
        else map.set(key, i);
      }
    });
    return parsed(items as AccountEntry[], problems);
  },

  async plan(tx, entries, context) {
    const accounts = await listAccounts(tx);
    const changes: Change[] = [];
    const kept = new Set<string>();
    for (const entry of entries) {
      const account = matchAccount(accounts, entry);
      if (!account) {
        changes.push({
          op: '+',
          subject: `account ${entry.name}${entry.id ? ` (${entry.id})` : ''}`,
          run: async (t, ctx) => {
            await createAccount(t, ctx, entry);
          },
        });
        continue;
      }
      kept.add(account.id);
      const fields = (['name', 'email', 'tags'] as const).filter(
        (f) => entry[f] !== undefined && canonicalJson(entry[f]) !== canonicalJson(account[f]),
      );
      if (fields.length) {
        changes.push({
          op: '~',
          subject: `account ${account.name}`,
          detail: fields.join(', '),
          run: async (t, ctx) => {
            await updateAccount(t, ctx, account.id, {
              name: entry.name,
              email: entry.email,
              tags: entry.tags,
            });
          },
        });
      }
    }
    if (context.prune) {
      for (const account of accounts) {
        if (kept.has(account.id)) continue;
        changes.push({
          op: '-',
          subject: `account ${account.name}`,
          detail: 'delete',
          run: (t, ctx) => deleteAccount(t, ctx, account.id),
        });
      }
    }
    return { changes, problems: [] };
  },
};
