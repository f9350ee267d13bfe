// Full and incremental enumeration as streams of page-sized batches ending in one `end` item.
// Anything that stops the enumeration early (limits, lost connection, unexpected entries) ends the
// stream incomplete; only an enumeration that ran to its last page ends complete.
import { type Client, ResultCodeError } from 'ldapts';
import type { Group, SyncIncompleteReason, SyncItem, User } from '../types.ts';
import { closeQuietly, describe, isConnectionError, openBound } from './connection.ts';
import type { Context } from './context.ts';
import { normalizeDn } from './dn.ts';
import {
  binaryAttributes,
  externalId,
  first,
  groupAttributes,
  MissingIdError,
  toGroupRef,
  toUser,
  userAttributes,
} from './entry.ts';
import { and, ge } from './filter.ts';
import { allValues } from './groups.ts';
import { type MemberIndex, newIndex, resolveMembers, userKeys } from './members.ts';
import { searchPages } from './search.ts';
import type { Settings } from './settings.ts';
import { changedSince, currentMark, decodeMark, encodeMark, type Mark } from './watermark.ts';

/** Result codes meaning "the server limited what it returned". */
const LIMIT_CODES = new Set([3, 4, 11, 12]); // timeLimit, sizeLimit, adminLimit, unavailableCriticalExtension

export function fullSync(ctx: Context): AsyncIterable<SyncItem> {
  return enumerate(ctx, null);
}

export function changesSince(ctx: Context, highWaterMark: string): AsyncIterable<SyncItem> {
  return enumerate(ctx, highWaterMark);
}

async function* enumerate(ctx: Context, since: string | null): AsyncGenerator<SyncItem> {
  const count = { users: 0, groups: 0 };
  const incomplete = (reason: SyncIncompleteReason, message: string): SyncItem => ({
    kind: 'end',
    complete: false,
    reason,
    message,
    ...count,
  });
  const s = await ctx.settings();
  if (!s.ok) {
    yield incomplete('unavailable', s.message);
    return;
  }
  const settings = s.value;
  let from: Mark | null = null;
  if (since !== null) {
    from = decodeMark(since);
    const want = settings.dialect === 'active-directory' ? 'ad' : 'ol';
    if (!from || from.d !== want) {
      yield incomplete('resync_required', 'high-water mark unreadable or from another dialect');
      return;
    }
  }
  // A connection of its own: a long enumeration does not hold up sign-ins.
  const opened = await openBound(ctx.conn, ctx.bindDN, ctx.bindPassword);
  if (!opened.ok) {
    yield incomplete('unavailable', opened.message);
    return;
  }
  const client = opened.client;
  try {
    const mark = await currentMark(client, settings);
    if (from?.d === 'ad' && mark.d === 'ad' && from.server !== mark.server) {
      yield incomplete(
        'resync_required',
        `high-water mark is from ${from.server}, connected to ${mark.server}`,
      );
      return;
    }
    let changed: string | null = null;
    if (from) {
      const c = changedSince(from);
      changed = ge(c.attribute, c.value);
    }
    const index = newIndex();
    for await (const users of userPages(client, settings, changed, index)) {
      count.users += users.length;
      yield { kind: 'users', users };
    }
    for await (const groups of groupPages(client, settings, changed, index)) {
      count.groups += groups.length;
      yield { kind: 'groups', groups };
    }
    yield { kind: 'end', complete: true, highWaterMark: encodeMark(mark), ...count };
  } catch (e) {
    yield incomplete(classify(e), `${opened.url}: ${describe(e)}`);
  } finally {
    await closeQuietly(client);
  }
}

function classify(e: unknown): SyncIncompleteReason {
  if (e instanceof ResultCodeError) {
    if (LIMIT_CODES.has(e.code)) return 'size_limit';
    return isConnectionError(e) ? 'unavailable' : 'error';
  }
  // Sockets, TLS and timeouts reach us as plain Errors; our own and programming errors do not.
  if (e instanceof MissingIdError || e instanceof TypeError || e instanceof RangeError) return 'error';
  return 'unavailable';
}

async function* userPages(
  client: Client,
  settings: Settings,
  changed: string | null,
  index: MemberIndex,
): AsyncGenerator<User[]> {
  const u = settings.user;
  const binary = binaryAttributes(settings);
  const spec = (filter: string, attributes: string[]) => ({
    base: u.baseDN,
    scope: u.scope,
    filter,
    attributes,
    binary,
  });
  // Disabled users first (ids only): usually few, and evaluated by the server whatever the filter says.
  const disabled = new Set<string>();
  for await (const page of searchPages(
    client,
    spec(and(u.filter, changed, settings.disabledFilter), [u.idAttribute]),
    settings.pageSize,
  )) {
    for (const e of page) {
      const id = externalId(e, u.idAttribute);
      if (id) disabled.add(id);
    }
  }
  for await (const page of searchPages(
    client,
    spec(and(u.filter, changed), userAttributes(u)),
    settings.pageSize,
  )) {
    const users = page.map((e) => toUser(e, u, disabled.has(externalId(e, u.idAttribute) ?? '')));
    // A full sync sees every user in scope, so its index can answer for all members.
    if (!changed)
      for (const user of users)
        for (const k of userKeys(settings, user.dn, user.userName)) index.users.set(k, user.externalId);
    yield users;
  }
}

async function* groupPages(
  client: Client,
  settings: Settings,
  changed: string | null,
  index: MemberIndex,
): AsyncGenerator<Group[]> {
  const g = settings.group;
  if (!g) return;
  const binary = binaryAttributes(settings);
  const spec = (filter: string, attributes: string[]) => ({
    base: g.baseDN,
    scope: g.scope,
    filter,
    attributes,
    binary,
  });
  if (!changed) {
    for await (const page of searchPages(client, spec(g.filter, [g.idAttribute]), settings.pageSize)) {
      for (const e of page) {
        const id = externalId(e, g.idAttribute);
        if (!id) throw new MissingIdError(`entry ${e.dn} has no ${g.idAttribute}`);
        index.groups.set(normalizeDn(e.dn), id);
      }
    }
    index.complete = true;
  }
  // Groups carry their member lists: smaller pages keep memory in check.
  const pageSize = Math.min(settings.pageSize, 100);
  for await (const page of searchPages(
    client,
    spec(and(g.filter, changed), [...groupAttributes(g), g.memberAttribute]),
    pageSize,
  )) {
    const groups: Group[] = [];
    for (const e of page) {
      const ref = toGroupRef(e, g);
      const memberValues = await allValues(client, e, g.memberAttribute);
      const r = await resolveMembers(client, settings, index, memberValues, binary);
      groups.push({
        ...ref,
        description: first(e, 'description'),
        members: r.members,
        memberGroups: r.memberGroups,
        unresolvedMembers: r.unresolved,
      });
    }
    yield groups;
  }
}
