import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../audit/canonical-json.ts';
import { ARGON2ID_EXPECTED, isArgon2idHash, passwordHashes, setPasswordHash } from '../auth/credentials.ts';
import { ROOT_USER_NAME } from '../directory/bootstrap.ts';
import {
  attributesSchema,
  createUserSchema,
  emailsSchema,
  type UpdateUserInput,
} from '../directory/schemas.ts';
import {
  createUser,
  deprovisionUser,
  disableUser,
  enableUser,
  type User,
  updateUser,
} from '../directory/users.ts';
import { parsed, parseEach } from './problems.ts';
import type { Change, Problem, Section } from './section.ts';

const PLAINTEXT = 'plaintext passwords are not accepted; use passwordHash (argon2id) or passwordFile';

/**
 * A built-in user as the file declares it. Fields left out are left as they are in the directory;
 * `null` clears a name field, `[]` / `{}` clear emails / attributes.
 */
const userSchema = createUserSchema.omit({ externalId: true, emails: true, attributes: true }).extend({
  emails: emailsSchema.optional(),
  attributes: attributesSchema.optional(),
  status: z.enum(['active', 'disabled']).optional(),
  passwordHash: z.string().refine(isArgon2idHash, ARGON2ID_EXPECTED).optional(),
  passwordFile: z.string().min(1).optional(),
  password: z.never({ error: PLAINTEXT }).optional(),
});

export type UserEntry = Omit<z.output<typeof userSchema>, 'password' | 'passwordFile'>;

const PROFILE = ['displayName', 'givenName', 'familyName'] as const;
const ROOT_NOT_MANAGED = (name: string) => `"${name}" is the root administrator; apply does not manage it`;

export const usersSection: Section<UserEntry> = {
  key: 'users',

  parse(value, context) {
    const { items, problems } = parseEach(userSchema, value);
    const seen = new Map<string, number>();
    const entries = items.map((item, i): UserEntry | undefined => {
      if (!item) return undefined;
      const { password: _, passwordFile, ...entry } = item;
      const key = entry.userName.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push({
          path: [i, 'userName'],
          message: `"${entry.userName}" is declared twice (also users[${first}])`,
        });
      } else seen.set(key, i);
      if (key === ROOT_USER_NAME) {
        problems.push({ path: [i, 'userName'], message: ROOT_NOT_MANAGED(entry.userName) });
      }
      if (passwordFile === undefined) return entry;
      if (entry.passwordHash !== undefined) {
        problems.push({ path: [i, 'passwordFile'], message: 'give passwordHash or passwordFile, not both' });
        return entry;
      }
      let hash: string;
      try {
        hash = readFileSync(resolve(context.baseDir, passwordFile), 'utf8').trim();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        problems.push({ path: [i, 'passwordFile'], message: `cannot read ${passwordFile}: ${code}` });
        return entry;
      }
      if (!isArgon2idHash(hash)) {
        problems.push({ path: [i, 'passwordFile'], message: `${passwordFile}: ${ARGON2ID_EXPECTED}` });
      }
      return { ...entry, passwordHash: hash };
    });
    return parsed(entries as UserEntry[], problems);
  },

  async plan(tx, entries, context) {
    const directory = await context.directory();
    const problems: Problem[] = [];
    const changes: Change[] = [];
    const existing = entries.map((entry) => directory.userByName(entry.userName));
    const hashes = await passwordHashes(
      tx,
      existing.flatMap((user, i) => (user && entries[i]!.passwordHash !== undefined ? [user.id] : [])),
    );
    entries.forEach((entry, i) => {
      const user = existing[i];
      if (!user) {
        changes.push(createChange(entry));
      } else if (user.source !== 'builtin') {
        problems.push({
          path: [i, 'userName'],
          message: `user "${user.userName}" belongs to ${user.source}; apply manages only built-in users`,
        });
      } else if (user.isRoot) {
        problems.push({ path: [i, 'userName'], message: ROOT_NOT_MANAGED(user.userName) });
      } else {
        const change = updateChange(entry, user, hashes.get(user.id));
        if (change) changes.push(change);
      }
    });
    if (context.prune) {
      const declared = new Set(entries.map((e) => e.userName.toLowerCase()));
      for (const user of directory.users) {
        if (user.source !== 'builtin' || user.isRoot || declared.has(user.userName.toLowerCase())) continue;
        changes.push({
          op: '-',
          subject: `user ${user.userName}`,
          detail: 'deprovision',
          run: async (tx, ctx) => {
            await deprovisionUser(tx, ctx, user.id, { reason: 'not in the state file (apply --prune)' });
          },
        });
      }
    }
    return { changes, problems };
  },
};

function profileOf(entry: UserEntry) {
  return {
    displayName: entry.displayName,
    givenName: entry.givenName,
    familyName: entry.familyName,
    emails: entry.emails,
    attributes: entry.attributes,
  };
}

function createChange(entry: UserEntry): Change {
  return {
    op: '+',
    subject: `user ${entry.userName}`,
    ...(entry.status === 'disabled' ? { detail: 'disabled' } : {}),
    async run(tx, ctx) {
      const user = await createUser(tx, ctx, { userName: entry.userName, ...profileOf(entry) });
      if (entry.passwordHash !== undefined) await setPasswordHash(tx, ctx, user.id, entry.passwordHash);
      if (entry.status === 'disabled') await disableUser(tx, ctx, user.id, { reason: 'state file' });
    },
  };
}

/** The fields the file sets differently from the directory, as one change (or none). */
function updateChange(entry: UserEntry, user: User, storedHash: string | undefined): Change | undefined {
  const fields: string[] = [];
  const patch: UpdateUserInput = {};
  if (entry.userName !== user.userName) {
    fields.push('userName');
    patch.userName = entry.userName;
  }
  for (const field of PROFILE) {
    const value = entry[field];
    if (value !== undefined && (value ?? null) !== user[field]) {
      fields.push(field);
      patch[field] = value;
    }
  }
  if (entry.emails && canonicalJson(entry.emails) !== canonicalJson(user.emails)) {
    fields.push('emails');
    patch.emails = entry.emails;
  }
  if (entry.attributes && canonicalJson(entry.attributes) !== canonicalJson(user.attributes)) {
    fields.push('attributes');
    patch.attributes = entry.attributes;
  }
  const password = entry.passwordHash !== undefined && entry.passwordHash !== storedHash;
  if (password) fields.push('password');
  const status = entry.status !== undefined && entry.status !== user.status ? entry.status : undefined;
  if (status) fields.push(status === 'disabled' ? 'disabled' : 'enabled');
  if (fields.length === 0) return undefined;
  return {
    op: '~',
    subject: `user ${user.userName}`,
    detail: fields.join(', '),
    async run(tx, ctx) {
      if (Object.keys(patch).length) await updateUser(tx, ctx, user.id, patch);
      if (password) await setPasswordHash(tx, ctx, user.id, entry.passwordHash!);
      if (status === 'disabled') await disableUser(tx, ctx, user.id, { reason: 'state file' });
      if (status === 'active') await enableUser(tx, ctx, user.id, { reason: 'state file' });
    },
  };
}
