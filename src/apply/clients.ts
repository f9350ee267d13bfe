import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../audit/canonical-json.ts';
import {
  type ClientRecord,
  createClient,
  deleteClient,
  findClient,
  hashSecret,
  listClients,
  MIN_SECRET_LENGTH,
  rotateClientSecret,
  updateClient,
} from '../clients/clients.ts';
import {
  clientIdSchema,
  clientProblems,
  createClientSchema,
  type UpdateClientInput,
} from '../clients/schemas.ts';
import { parsed, parseEach } from './problems.ts';
import type { Change, Problem, Section } from './section.ts';

/**
 * An OAuth client as the state file declares it. A confidential client's secret comes from
 * `clientSecretFile` (relative to the state file; at least 32 characters), so that the file can
 * be applied again without printing or rotating a secret; only its hash is stored.
 */
const clientSchema = createClientSchema.extend({
  clientId: clientIdSchema,
  clientSecretFile: z.string().min(1).optional(),
  clientSecret: z
    .never({ error: 'plaintext secrets are not accepted in the state file; use clientSecretFile' })
    .optional(),
});

export type ClientEntry = Omit<z.output<typeof clientSchema>, 'clientSecretFile' | 'clientSecret'> & {
  secret?: string;
};

/** The settings apply compares (everything but the id, the public flag and the secret). */
const SETTINGS = [
  'name',
  'applicationType',
  'redirectUris',
  'postLogoutRedirectUris',
  'grantTypes',
  'scopes',
  'firstParty',
  'backchannelLogoutUri',
  'idTokenAlg',
  'tokenEndpointAuthMethod',
  'accessTokenTtl',
  'refreshTokenTtl',
] as const;

export const clientsSection: Section<ClientEntry> = {
  key: 'clients',

  parse(value, context) {
    const { items, problems } = parseEach(clientSchema, value);
    const seen = new Map<string, number>();
    const entries = items.map((item, i): ClientEntry | undefined => {
      if (!item) return undefined;
      const { clientSecretFile, clientSecret: _, ...entry } = item;
      const first = seen.get(entry.clientId);
      if (first !== undefined) {
        problems.push({
          path: [i, 'clientId'],
          message: `"${entry.clientId}" is declared twice (also clients[${first}])`,
        });
      } else seen.set(entry.clientId, i);
      const { clientId: _id, public: isPublic, ...settings } = entry;
      for (const p of clientProblems(settings, isPublic))
        problems.push({ path: [i, ...p.path.split('.')], message: p.message });
      if (isPublic) {
        if (clientSecretFile !== undefined)
          problems.push({ path: [i, 'clientSecretFile'], message: 'a public client has no secret' });
        return entry;
      }
      if (clientSecretFile === undefined) {
        problems.push({
          path: [i, 'clientSecretFile'],
          message: 'a confidential client needs clientSecretFile (or public: true)',
        });
        return entry;
      }
      let secret: string;
      try {
        secret = readFileSync(resolve(context.baseDir, clientSecretFile), 'utf8').trim();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        problems.push({ path: [i, 'clientSecretFile'], message: `cannot read ${clientSecretFile}: ${code}` });
        return entry;
      }
      if (secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
        problems.push({
          path: [i, 'clientSecretFile'],
          message: `${clientSecretFile}: a secret of at least ${MIN_SECRET_LENGTH} characters without spaces`,
        });
      }
      return { ...entry, secret };
    });
    return parsed(entries as ClientEntry[], problems);
  },

  async plan(tx, entries, context) {
    const problems: Problem[] = [];
    const changes: Change[] = [];
    for (const [i, entry] of entries.entries()) {
      const current = await findClient(tx, entry.clientId);
      if (!current) {
        changes.push(createChange(entry));
      } else if (current.public !== entry.public) {
        problems.push({
          path: [i, 'public'],
          message: `client "${entry.clientId}" is ${current.public ? 'public' : 'confidential'}; delete it to change that`,
        });
      } else {
        const change = updateChange(entry, current);
        if (change) changes.push(change);
      }
    }
    if (context.prune) {
      const declared = new Set(entries.map((e) => e.clientId));
      for (const client of await listClients(tx)) {
        if (declared.has(client.clientId)) continue;
        changes.push({
          op: '-',
          subject: `client ${client.clientId}`,
          detail: 'delete',
          run: (tx, ctx) => deleteClient(tx, ctx, client.clientId),
        });
      }
    }
    return { changes, problems };
  },
};

function createChange(entry: ClientEntry): Change {
  const { secret, ...input } = entry;
  return {
    op: '+',
    subject: `client ${entry.clientId}`,
    async run(tx, ctx) {
      await createClient(tx, ctx, input, secret === undefined ? {} : { secret });
    },
  };
}

function updateChange(entry: ClientEntry, current: ClientRecord): Change | undefined {
  const patch: UpdateClientInput = {};
  const fields: string[] = [];
  for (const field of SETTINGS) {
    if (canonicalJson(entry[field] ?? null) !== canonicalJson(current[field] ?? null)) {
      fields.push(field);
      (patch as Record<string, unknown>)[field] = entry[field];
    }
  }
  const newSecret = entry.secret !== undefined && hashSecret(entry.secret) !== current.secretHash;
  if (newSecret) fields.push('secret');
  if (fields.length === 0) return undefined;
  return {
    op: '~',
    subject: `client ${entry.clientId}`,
    detail: fields.join(', '),
    async run(tx, ctx) {
      if (Object.keys(patch).length) await updateClient(tx, ctx, entry.clientId, patch);
      if (newSecret) await rotateClientSecret(tx, ctx, entry.clientId, { secret: entry.secret! });
    },
  };
}
