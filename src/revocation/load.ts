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

/** An ended session (portal session or OIDC grant): what was obtained through it dies with it. */
export const SESSION_ENDED = 'session.ended';

/**
 * What domain events after `afterId` change for revocation: users whose `valid_after` may have
 * moved (any event naming a user), and sessions that ended.
 */
export async function changesSince(
  q: Queryable,
  afterId: number,
  window: number,
  limit = 5000,
): Promise<{ lastId: number; userIds: string[]; sessions: Revocation[] }> {
  const { rows } = await q.query<{
    id: number;
    type: string;
    user_id: string | null;
    session_id: string | null;
    at_ms: number;
  }>(
    `select id, type, user_id, data->>'sessionId' as session_id, extract(epoch from at) * 1000 as at_ms
       from domain_events where id > $1 order by id limit $2`,
    [afterId, limit],
  );
  const userIds = new Set<string>();
  const sessions: Revocation[] = [];
  for (const r of rows) {
    if (r.user_id) userIds.add(r.user_id);
    if (r.type === SESSION_ENDED && r.session_id)
      sessions.push({ kind: 'session', sessionId: r.session_id, until: Number(r.at_ms) + window });
  }
  return { lastId: rows.length ? Number(rows.at(-1)!.id) : afterId, userIds: [...userIds], sessions };
}

/** Sessions ended within the window (nothing obtained through an older one is still alive). */
export async function loadEndedSessions(q: Queryable, window: number): Promise<Revocation[]> {
  const { rows } = await q.query<{ session_id: string | null; at_ms: number }>(
    `select data->>'sessionId' as session_id, extract(epoch from at) * 1000 as at_ms from domain_events
      where type = $1 and at > now() - make_interval(secs => $2::float8 / 1000)`,
    [SESSION_ENDED, window],
  );
  return rows
    .filter((r) => r.session_id)
    .map((r) => ({ kind: 'session', sessionId: r.session_id!, until: Number(r.at_ms) + window }));
}
