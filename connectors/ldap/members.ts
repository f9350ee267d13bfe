// Resolves group member values (DNs, or usernames for memberUid) to externalIds of synced users
// and groups. A full sync fills the index as it goes; elsewhere unknown values are looked up in
// batches inside the user and group searches (so out-of-scope members stay unresolved).
import type { Client } from 'ldapts';
import { normalizeDn } from './dn.ts';
import { externalId } from './entry.ts';
import { and, eq, or } from './filter.ts';
import { searchOnce } from './search.ts';
import type { Settings } from './settings.ts';

export interface MemberIndex {
  users: Map<string, string>;
  groups: Map<string, string>;
  /** Values known to match nothing in scope. */
  missing: Set<string>;
  /** When true the index covers the whole scope: no lookups. */
  complete: boolean;
}

export function newIndex(): MemberIndex {
  return { users: new Map(), groups: new Map(), missing: new Set(), complete: false };
}

export interface Resolved {
  members: string[];
  memberGroups: string[];
  unresolved: number;
}

const BATCH = 50;

/** Index key of a member value. */
export function memberKey(settings: Settings, value: string): string {
  if (settings.group?.memberAttribute === 'memberUid') return `uid:${value.toLowerCase()}`;
  // uniqueMember may carry an optional "#'0101'B" uid suffix.
  return normalizeDn(value.replace(/#'[01]*'B$/, ''));
}

export function userKeys(settings: Settings, dn: string, userName: string): string[] {
  return settings.group?.memberAttribute === 'memberUid'
    ? [`uid:${userName.toLowerCase()}`]
    : [normalizeDn(dn)];
}

export async function resolveMembers(
  client: Client,
  settings: Settings,
  index: MemberIndex,
  rawValues: string[],
  binary: string[],
): Promise<Resolved> {
  const keyed = rawValues.map((v) => ({ v: v.replace(/#'[01]*'B$/, ''), k: memberKey(settings, v) }));
  if (!index.complete) {
    const unknown = keyed.filter(
      ({ k }) => !index.users.has(k) && !index.groups.has(k) && !index.missing.has(k),
    );
    await lookup(client, settings, index, unknown, binary);
  }
  const members = new Set<string>();
  const memberGroups = new Set<string>();
  let unresolved = 0;
  for (const { k } of keyed) {
    const u = index.users.get(k);
    const g = index.groups.get(k);
    if (u) members.add(u);
    else if (g) memberGroups.add(g);
    else unresolved++;
  }
  return { members: [...members], memberGroups: [...memberGroups], unresolved };
}

async function lookup(
  client: Client,
  settings: Settings,
  index: MemberIndex,
  unknown: { v: string; k: string }[],
  binary: string[],
): Promise<void> {
  const byUid = settings.group?.memberAttribute === 'memberUid';
  const u = settings.user;
  for (let i = 0; i < unknown.length; i += BATCH) {
    const batch = unknown.slice(i, i + BATCH);
    const attr = byUid ? u.usernameAttributes[0]! : settings.dnAttribute;
    const users = await searchOnce(client, {
      base: u.baseDN,
      scope: u.scope,
      filter: and(u.filter, or(...batch.map(({ v }) => eq(attr, v)))),
      attributes: [u.idAttribute, ...u.usernameAttributes],
      binary,
    });
    for (const e of users) {
      const id = externalId(e, u.idAttribute);
      if (!id) continue;
      if (byUid) {
        for (const a of u.usernameAttributes)
          for (const n of e.attrs.get(a.toLowerCase()) ?? [])
            index.users.set(`uid:${String(n).toLowerCase()}`, id);
      } else index.users.set(normalizeDn(e.dn), id);
    }
    const g = settings.group;
    const rest = batch.filter(({ k }) => !index.users.has(k));
    if (g && !byUid && rest.length > 0) {
      const groups = await searchOnce(client, {
        base: g.baseDN,
        scope: g.scope,
        filter: and(g.filter, or(...rest.map(({ v }) => eq(settings.dnAttribute, v)))),
        attributes: [g.idAttribute],
        binary,
      });
      for (const e of groups) {
        const id = externalId(e, g.idAttribute);
        if (id) index.groups.set(normalizeDn(e.dn), id);
      }
    }
    for (const { k } of batch) if (!index.users.has(k) && !index.groups.has(k)) index.missing.add(k);
  }
}
