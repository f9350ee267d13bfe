import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { settingsFromSpMetadata } from '../../providers/saml/sp-metadata.ts';
import {
  type Application,
  createApplication,
  deleteApplication,
  findApplicationByName,
  listApplications,
  updateApplication,
} from '../apps/apps.ts';
import { assignApplication, listAssignments, unassignApplication } from '../apps/assignments.ts';
import { samlSettingsSchema } from '../apps/saml-settings.ts';
import { clientIdSchema } from '../apps/schemas.ts';
import { findGroupByName } from '../directory/groups.ts';
import type { Member } from '../directory/members.ts';
import { findUserByName } from '../directory/users.ts';
import { GatehouseError, isGatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { groupsSection } from './groups.ts';
import { formatPrincipal, groupSource, type Principal, principalKey, principalSchema } from './principals.ts';
import { parsed, parseEach, zodProblems } from './problems.ts';
import type { Change, Problem, Section } from './section.ts';
import { usersSection } from './users.ts';

/**
 * `applications:` in the state file. A SAML application's `saml` holds its service provider:
 * `metadataFile` (SP metadata XML, relative to the state file) and/or the settings by hand; keys
 * written next to `metadataFile` override what the metadata says. An OIDC application names its
 * OAuth client (`oidc.clientId`; the client itself, with its secret and redirect URIs, is the
 * OpenID provider's business, so other `oidc` keys are left to it). `assignments`, when given, is
 * the whole list of who may use the application.
 */
const entrySchema = z.strictObject({
  name: z.string().trim().min(1).max(128),
  type: z.enum(['saml', 'oidc']),
  label: z.string().trim().min(1).max(128).nullish(),
  logoUrl: z.string().trim().max(2048).nullish(),
  saml: z.looseObject({ metadataFile: z.string().min(1).max(1024).optional() }).optional(),
  oidc: z.looseObject({ clientId: clientIdSchema }).optional(),
  assignments: z.array(principalSchema).optional(),
});

type RawEntry = z.output<typeof entrySchema>;

export interface ApplicationEntry {
  name: string;
  type: 'saml' | 'oidc';
  label?: string | null | undefined;
  logoUrl?: string | null | undefined;
  saml?: z.output<typeof samlSettingsSchema> | undefined;
  oidcClientId?: string | undefined;
  assignments?: Principal[] | undefined;
}

function settingsOf(
  entry: RawEntry,
  i: number,
  baseDir: string,
  problems: Problem[],
): ApplicationEntry | undefined {
  if (entry.type === 'oidc') {
    if (!entry.oidc)
      return void problems.push({ path: [i, 'oidc'], message: 'an OIDC application needs oidc.clientId' });
    if (entry.saml) return void problems.push({ path: [i, 'saml'], message: 'only for SAML applications' });
    const { saml: _s, oidc, ...rest } = entry;
    return { ...rest, oidcClientId: oidc.clientId };
  }
  if (!entry.saml)
    return void problems.push({ path: [i, 'saml'], message: 'a SAML application needs saml settings' });
  if (entry.oidc) return void problems.push({ path: [i, 'oidc'], message: 'only for OIDC applications' });
  const { metadataFile, ...byHand } = entry.saml;
  let fromMetadata: Record<string, unknown> = {};
  if (metadataFile) {
    try {
      fromMetadata = settingsFromSpMetadata(readFileSync(resolve(baseDir, metadataFile), 'utf8')) as Record<
        string,
        unknown
      >;
    } catch (error) {
      const message = isGatehouseError(error)
        ? error.message
        : `cannot read ${metadataFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`;
      return void problems.push({ path: [i, 'saml', 'metadataFile'], message });
    }
  }
  const settings = samlSettingsSchema.safeParse({ ...fromMetadata, ...byHand });
  if (!settings.success) {
    problems.push(
      ...zodProblems(settings.error.issues).map((p) => ({
        path: [i, 'saml', ...p.path],
        message: p.message,
      })),
    );
    return undefined;
  }
  const { oidc: _o, saml: _s, ...rest } = entry;
  return { ...rest, saml: settings.data };
}

const member = async (tx: Queryable, p: Principal): Promise<Member> => {
  if (p.kind === 'user') {
    const user = await findUserByName(tx, p.name);
    if (!user) throw new GatehouseError('not_found', 'directory.user_not_found', `no user "${p.name}"`);
    return { userId: user.id };
  }
  const group = await findGroupByName(tx, p.name, groupSource(p));
  if (!group)
    throw new GatehouseError('not_found', 'directory.group_not_found', `no group "${formatPrincipal(p)}"`);
  return { groupId: group.id };
};

export const applicationsSection: Section<ApplicationEntry> = {
  key: 'applications',

  parse(value, context) {
    const { items, problems } = parseEach(entrySchema, value);
    const entries: (ApplicationEntry | undefined)[] = [];
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      if (!item) return;
      const first = seen.get(item.name.toLowerCase());
      if (first !== undefined)
        problems.push({
          path: [i, 'name'],
          message: `"${item.name}" is declared twice (also applications[${first}])`,
        });
      seen.set(item.name.toLowerCase(), i);
      entries[i] = settingsOf(item, i, context.baseDir, problems);
    });
    return parsed(entries as ApplicationEntry[], problems);
  },

  async plan(tx, entries, context) {
    const directory = await context.directory();
    const users = new Set(context.declared(usersSection)?.map((u) => u.userName.toLowerCase()));
    const groups = new Set(context.declared(groupsSection)?.map((g) => g.name.toLowerCase()));
    const problems: Problem[] = [];
    entries.forEach((entry, i) => {
      entry.assignments?.forEach((p, j) => {
        const known =
          p.kind === 'user'
            ? directory.userByName(p.name) || users.has(p.name.toLowerCase())
            : directory.groupByName(p.name, groupSource(p)) ||
              (p.kind === 'group' && groups.has(p.name.toLowerCase()));
        if (!known) problems.push({ path: [i, 'assignments', j], message: `unknown ${formatPrincipal(p)}` });
      });
    });
    if (problems.length) return { changes: [], problems };

    const changes: Change[] = [];
    const declared = new Set(entries.map((e) => e.name.toLowerCase()));
    if (context.prune) {
      for (const app of await listApplications(tx)) {
        if (declared.has(app.name.toLowerCase())) continue;
        changes.push({
          op: '-',
          subject: `application ${app.name}`,
          detail: 'delete',
          run: (q, ctx) => deleteApplication(q, ctx, app.id),
        });
      }
    }
    for (const entry of entries) {
      const current = await findApplicationByName(tx, entry.name);
      const subject = `application ${entry.name}`;
      const fields = {
        name: entry.name,
        label: entry.label,
        logoUrl: entry.logoUrl,
        saml: entry.saml,
        oidcClientId: entry.oidcClientId,
      };
      const appId = async (q: Queryable) => current?.id ?? (await findApplicationByName(q, entry.name))!.id;
      if (!current) {
        changes.push({
          op: '+',
          subject,
          run: async (q, ctx) => {
            await createApplication(q, ctx, {
              ...fields,
              type: entry.type,
              label: entry.label ?? null,
              logoUrl: entry.logoUrl ?? null,
            });
          },
        });
      } else {
        if (current.type !== entry.type) {
          problems.push({
            path: [entries.indexOf(entry), 'type'],
            message: `"${entry.name}" is a ${current.type} application; delete it to change its type`,
          });
          continue;
        }
        const differs = changedFields(current, entry);
        if (differs.length)
          changes.push({
            op: '~',
            subject,
            detail: differs.join(', '),
            run: async (q, ctx) => {
              await updateApplication(q, ctx, current.id, {
                name: entry.name,
                ...(entry.label !== undefined ? { label: entry.label } : {}),
                ...(entry.logoUrl !== undefined ? { logoUrl: entry.logoUrl } : {}),
                ...(entry.saml ? { saml: entry.saml } : {}),
                ...(entry.oidcClientId ? { oidcClientId: entry.oidcClientId } : {}),
              });
            },
          });
      }
      if (!entry.assignments) continue;
      const existing = current ? await listAssignments(tx, current.id) : [];
      const key = (type: string, name: string, id: string) =>
        type === 'user' ? `user:${name.toLowerCase()}` : `id:${id}`;
      const have = new Map(existing.map((a) => [key(a.type, a.name, a.id), a]));
      const want = new Set<string>();
      for (const p of entry.assignments) {
        const group = p.kind === 'user' ? undefined : directory.groupByName(p.name, groupSource(p));
        const k = p.kind === 'user' ? principalKey(p) : group ? `id:${group.id}` : principalKey(p);
        want.add(k);
        if (have.has(k)) continue;
        changes.push({
          op: '+',
          subject: `assignment application:${entry.name} ← ${formatPrincipal(p)}`,
          run: async (q, ctx) => {
            await assignApplication(q, ctx, await appId(q), await member(q, p));
          },
        });
      }
      for (const [k, a] of have) {
        if (want.has(k)) continue;
        changes.push({
          op: '-',
          subject: `assignment application:${entry.name} ← ${a.type}:${a.name}`,
          run: async (q, ctx) => {
            await unassignApplication(
              q,
              ctx,
              await appId(q),
              a.type === 'user' ? { userId: a.id } : { groupId: a.id },
            );
          },
        });
      }
    }
    return { changes, problems };
  },
};

function changedFields(current: Application, entry: ApplicationEntry): string[] {
  const out: string[] = [];
  if (current.name !== entry.name) out.push('name');
  if (entry.label !== undefined && (entry.label ?? null) !== current.label) out.push('label');
  if (entry.logoUrl !== undefined && (entry.logoUrl ?? null) !== current.logoUrl) out.push('logoUrl');
  if (entry.saml && JSON.stringify(sorted(entry.saml)) !== JSON.stringify(sorted(current.saml)))
    out.push('saml');
  if (entry.oidcClientId && entry.oidcClientId !== current.oidcClientId) out.push('oidcClientId');
  return out;
}

/** JSON with object keys sorted (jsonb does not keep the order they were written in). */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sorted(v)]),
    );
  return value;
}
