import type { Queryable } from '../store/db.ts';
import type { Revocation } from './state.ts';

/**
 * Users whose `valid_after` moved after their creation (disabled, deprovisioned, re-enabled,
 * "revoke all sessions") within the window. Milliseconds are rounded up: PostgreSQL keeps
 * microseconds, and a credential issued in the same millisecond but before the revocation must die.
 */
export async function loadUserRevocations(
  q: Queryable,
  window: number,
  userIds?: readonly string[],
): Promise<Revocation[]> {
  const { rows } = await q.query<{ id: string; not_before: number }>(
    `select id, ceil(extract(epoch from valid_after) * 1000)::float8 as not_before
       from users
      where valid_after > created_at
        and valid_after > now() - make_interval(secs => $1::float8 / 1000)
        ${userIds ? 'and id = any($2::uuid[])' : ''}`,
    userIds ? [window, userIds] : [window],
  );
  return rows.map((r) => ({ kind: 'user', userId: r.id, notBefore: Number(r.not_before) }));
}

/** The newest domain event id: a node follows events from here. */
export async function latestEventId(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ id: number | null }>('select max(id)::int8 as id from domain_events');
  return Number(rows[0]?.id ?? 0);
}

/** Users touched by domain events after `afterId` (any user event may have moved `valid_after`). */
export async function usersChangedSince(
  q: Queryable,
  afterId: number,
  limit = 5000,
): Promise<{ lastId: number; userIds: string[] }> {
  const { rows } = await q.query<{ id: number; user_id: string | null }>(
    `select id, user_id from domain_events where id > $1 order by id limit $2`,
    [afterId, limit],
  );
  const userIds = new Set<string>();
  for (const r of rows) if (r.user_id) userIds.add(r.user_id);
  return { lastId: rows.length ? Number(rows.at(-1)!.id) : afterId, userIds: [...userIds] };
}

/** Narrower revocations (sessions, assignments, permission-set versions) that still matter. */
export async function loadRecordedRevocations(q: Queryable): Promise<Revocation[]> {
  const { rows } = await q.query<{
    kind: 'session' | 'assignment' | 'permission_set';
    user_id: string | null;
    session_id: string | null;
    account_id: string | null;
    permission_set_id: string | null;
    min_version: number | null;
    not_before: number;
    expires_at: number;
  }>(
    `select kind, user_id, session_id, account_id, permission_set_id, min_version,
            ceil(extract(epoch from not_before) * 1000)::float8 as not_before,
            floor(extract(epoch from expires_at) * 1000)::float8 as expires_at
       from revocations where expires_at > now()`,
  );
  return rows.map((r): Revocation => {
    switch (r.kind) {
      case 'session':
        return { kind: 'session', sessionId: r.session_id!, until: Number(r.expires_at) };
      case 'assignment':
        return {
          kind: 'assignment',
          userId: r.user_id!,
          accountId: r.account_id!,
          permissionSetId: r.permission_set_id!,
          notBefore: Number(r.not_before),
        };
      default:
        return { kind: 'permission_set', permissionSetId: r.permission_set_id!, minVersion: r.min_version! };
    }
  });
}

/** Deletes revocations that nothing alive can be subject to any more (any node may run it). */
export async function deleteExpiredRevocations(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    'with gone as (delete from revocations where expires_at < now() returning 1) select count(*)::int as n from gone',
  );
  return rows[0]!.n;
}
