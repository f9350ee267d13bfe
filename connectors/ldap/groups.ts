// Group membership of one user, transitively: AD evaluates the chain server-side
// (LDAP_MATCHING_RULE_IN_CHAIN); elsewhere groups are expanded level by level with a visited set,
// so cycles terminate. Also reads AD's ranged multi-valued attributes (member;range=0-1499).
import type { Client } from 'ldapts';
import type { GroupRef } from '../types.ts';
import { normalizeDn } from './dn.ts';
import { groupAttributes, type RawEntry, toGroupRef } from './entry.ts';
import { and, eq, extensible, IN_CHAIN, or } from './filter.ts';
import { searchOnce } from './search.ts';
import type { Settings } from './settings.ts';

const BATCH = 50;

export async function groupsOf(
  client: Client,
  settings: Settings,
  user: { dn: string; userName: string },
  binary: string[],
): Promise<GroupRef[]> {
  const g = settings.group;
  if (!g) return [];
  // Unpaged: this runs on the shared service connection, where slapd allows one paged search at a time.
  const search = (filter: string) =>
    searchOnce(client, { base: g.baseDN, scope: g.scope, filter, attributes: groupAttributes(g), binary });

  if (g.memberAttribute === 'memberUid') {
    return (await search(and(g.filter, eq('memberUid', user.userName)))).map((e) => toGroupRef(e, g));
  }
  if (settings.dialect === 'active-directory') {
    const match = g.nested
      ? extensible(g.memberAttribute, IN_CHAIN, user.dn)
      : eq(g.memberAttribute, user.dn);
    return (await search(and(g.filter, match))).map((e) => toGroupRef(e, g));
  }
  const found = new Map<string, GroupRef>();
  let frontier = [user.dn];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < frontier.length; i += BATCH) {
      const dns = frontier.slice(i, i + BATCH);
      for (const e of await search(and(g.filter, or(...dns.map((dn) => eq(g.memberAttribute, dn)))))) {
        const key = normalizeDn(e.dn);
        if (found.has(key)) continue;
        found.set(key, toGroupRef(e, g));
        next.push(e.dn);
      }
    }
    frontier = g.nested ? next : [];
  }
  return [...found.values()];
}

/**
 * All values of a multi-valued attribute. AD returns large ones in ranges
 * (`member;range=0-1499`); the rest is fetched with base searches until the range ends in `*`.
 */
export async function allValues(client: Client, entry: RawEntry, attribute: string): Promise<string[]> {
  const lower = attribute.toLowerCase();
  const plain = entry.attrs.get(lower);
  const rangedKey = [...entry.attrs.keys()].find((k) => k.startsWith(`${lower};range=`));
  if (!rangedKey) return (plain ?? []).map(String);
  const out = (entry.attrs.get(rangedKey) ?? []).map(String);
  let key = rangedKey;
  for (;;) {
    const m = /;range=(\d+)-(\d+|\*)$/.exec(key);
    if (!m || m[2] === '*') return out;
    const [next] = await searchOnce(client, {
      base: entry.dn,
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: [`${attribute};range=${Number(m[2]) + 1}-*`],
    });
    const nextKey = next && [...next.attrs.keys()].find((k) => k.startsWith(`${lower};range=`));
    if (!next || !nextKey)
      throw new Error(`ranged retrieval of ${attribute} on ${entry.dn} stopped at ${m[2]}`);
    out.push(...(next.attrs.get(nextKey) ?? []).map(String));
    key = nextKey;
  }
}
