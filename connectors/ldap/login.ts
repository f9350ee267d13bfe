// Sign-in by bind: find the one entry for the username with the service account, bind as that DN
// with the given password on a connection of its own, then read status and groups.
import { type Client, InvalidCredentialsError, PasswordPolicyControl, ResultCodeError } from 'ldapts';
import type { CheckResult, Identity, LoginFailure, LoginResult } from '../types.ts';
import { adBindFailure, ppolicyFailure } from './bind-errors.ts';
import { closeQuietly, describe, openBound } from './connection.ts';
import type { Context } from './context.ts';
import { binaryAttributes, externalId, type RawEntry, toUser, userAttributes } from './entry.ts';
import { and, eq, eqBytes, or } from './filter.ts';
import { groupsOf } from './groups.ts';
import { guidToBytes } from './guid.ts';
import { searchOnce } from './search.ts';
import type { Settings } from './settings.ts';

/** Longer usernames are refused without asking the directory. */
const MAX_USERNAME = 256;

/**
 * Blank, overlong or with control characters: refused before any lookup. Samba cuts values at NUL,
 * so "alice\0" would otherwise sign in as alice under another name.
 */
function usable(username: string): boolean {
  if (username.trim() === '' || username.length > MAX_USERNAME) return false;
  return ![...username].some((c) => c < ' ' || c === '\x7f');
}

const fail = (reason: LoginFailure, message: string): LoginResult => ({ ok: false, reason, message });

export async function login(ctx: Context, username: string, password: string): Promise<LoginResult> {
  try {
    return await attempt(ctx, username, password);
  } catch (e) {
    // Refusals the directory did not foresee (no such base DN, entry without id, …).
    return fail('unavailable', describe(e));
  }
}

async function attempt(ctx: Context, username: string, password: string): Promise<LoginResult> {
  // An empty password would be an anonymous bind that AD accepts: never send it.
  if (password === '') return fail('invalid_credentials', 'empty password');
  if (!usable(username)) return fail('invalid_credentials', 'unusable username');
  const s = await ctx.settings();
  if (!s.ok) return fail('unavailable', s.message);
  const settings = s.value;
  const u = settings.user;
  const binary = binaryAttributes(settings);

  const found = await ctx.service.run((client) =>
    searchOnce(
      client,
      {
        base: u.baseDN,
        scope: u.scope,
        filter: and(u.filter, or(...u.usernameAttributes.map((a) => eq(a, username)))),
        attributes: userAttributes(u),
        binary,
      },
      2,
    ),
  );
  if (!found.ok) return fail('unavailable', found.message);
  if (found.value.length === 0) return fail('invalid_credentials', 'no such user');
  if (found.value.length > 1) return fail('invalid_credentials', 'username matches more than one entry');
  const entry = found.value[0]!;

  // Bind where the entry was found first (replication lag), then the other servers.
  const urls = [found.url, ...ctx.conn.urls.filter((x) => x !== found.url)];
  const ppolicy = new PasswordPolicyControl();
  const bound = await openBound(ctx.conn, entry.dn, password, [ppolicy], urls);
  if (!bound.ok) {
    if (!bound.error) return fail('unavailable', bound.message);
    return fail(await bindFailure(ctx, settings, entry, bound.error, ppolicy), bound.message);
  }
  await closeQuietly(bound.client);
  const mustChange = ppolicyFailure(ppolicy.value?.error) === 'must_change';

  const identity = await ctx.service.run((client) => buildIdentity(client, settings, entry));
  if (!identity.ok) return fail('unavailable', identity.message);
  if (identity.value.disabled) return fail('disabled', `${entry.dn} is disabled in the directory`);
  if (mustChange) return fail('must_change', `${entry.dn} must change its password`);
  return { ok: true, identity: identity.value };
}

async function bindFailure(
  ctx: Context,
  settings: Settings,
  entry: RawEntry,
  error: unknown,
  ppolicy: PasswordPolicyControl,
): Promise<LoginFailure> {
  if (!(error instanceof ResultCodeError)) return 'invalid_credentials';
  if (settings.dialect === 'active-directory') {
    return error instanceof InvalidCredentialsError ? adBindFailure(error.message) : 'invalid_credentials';
  }
  const reason = ppolicyFailure(ppolicy.value?.error) ?? 'invalid_credentials';
  if (reason !== 'locked') return reason;
  // An administrator's lock is "disabled"; a lockout after failed binds is "locked".
  const disabled = await ctx.service.run((client) => isDisabled(client, settings, entry.dn));
  return disabled.ok && disabled.value ? 'disabled' : 'locked';
}

async function isDisabled(client: Client, settings: Settings, dn: string): Promise<boolean> {
  const hits = await searchOnce(client, {
    base: dn,
    scope: 'base',
    filter: settings.disabledFilter,
    attributes: ['1.1'],
  });
  return hits.length > 0;
}

export async function buildIdentity(client: Client, settings: Settings, entry: RawEntry): Promise<Identity> {
  const disabled = await isDisabled(client, settings, entry.dn);
  const user = toUser(entry, settings.user, disabled);
  const groups = await groupsOf(client, settings, user, binaryAttributes(settings));
  return { ...user, groups };
}

/** Re-reads a user by externalId inside the user search (renames and moves are followed). */
export async function check(ctx: Context, id: string): Promise<CheckResult> {
  const s = await ctx.settings();
  if (!s.ok) return { status: 'unavailable', message: s.message };
  const settings = s.value;
  const u = settings.user;
  const binary = binaryAttributes(settings);
  let match: string;
  if (u.idAttribute.toLowerCase() === 'objectguid') {
    const bytes = guidToBytes(id);
    if (!bytes) return { status: 'gone' };
    match = eqBytes(u.idAttribute, bytes);
  } else match = eq(u.idAttribute, id);
  try {
    const r = await ctx.service.run(async (client) => {
      const hits = await searchOnce(
        client,
        {
          base: u.baseDN,
          scope: u.scope,
          filter: and(u.filter, match),
          attributes: userAttributes(u),
          binary,
        },
        2,
      );
      const entry = hits.find((e) => externalId(e, u.idAttribute) === id.toLowerCase());
      return entry ? buildIdentity(client, settings, entry) : null;
    });
    if (!r.ok) return { status: 'unavailable', message: r.message };
    if (!r.value) return { status: 'gone' };
    return { status: r.value.disabled ? 'disabled' : 'active', identity: r.value };
  } catch (e) {
    return { status: 'unavailable', message: describe(e) };
  }
}
