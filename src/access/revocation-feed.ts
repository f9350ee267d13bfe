// Turns what the access domain takes away into revocations for this node's revocation set
// (src/revocation): a removed assignment, a group membership that carried an assignment, a changed
// or deleted permission set. Like the user feed it follows domain events (NOTIFY) and re-reads
// them on a timer; events are rows, so a lost notification loses nothing.
import { EVENTS_CHANNEL } from '../directory/events.ts';
import type { Revocation } from '../revocation/state.ts';
import { serialPasses } from '../serial-passes.ts';
import type { Db, Queryable } from '../store/db.ts';

const TYPES = [
  'assignment.removed',
  'membership.removed',
  'permission_set.updated',
  'permission_set.deleted',
];

interface EventRow {
  id: number;
  type: string;
  user_id: string | null;
  group_id: string | null;
  data: Record<string, unknown>;
  at_ms: number;
}

/**
 * The (account, permission set) pairs a user held through a group (or any group containing it)
 * and no longer holds by any path: what leaving that group, or losing that assignment, took away.
 */
async function lostPairs(
  q: Queryable,
  userId: string,
  pairs: { accountId: string; permissionSetId: string }[],
): Promise<{ accountId: string; permissionSetId: string }[]> {
  if (pairs.length === 0) return [];
  const { rows } = await q.query<{ account_id: string; permission_set_id: string }>(
    `with recursive chain(id, depth) as (
       select group_id, 1 from group_members where member_user_id = $1
       union
       select gm.group_id, chain.depth + 1 from group_members gm join chain on gm.member_group_id = chain.id
       where chain.depth < 64
     )
     select account_id, permission_set_id from assignments
     where user_id = $1 or group_id in (select id from chain)`,
    [userId],
  );
  const held = new Set(rows.map((r) => `${r.account_id}\u0000${r.permission_set_id}`));
  return pairs.filter((p) => !held.has(`${p.accountId}\u0000${p.permissionSetId}`));
}

/** Assignments of a group and of every group that contains it. */
async function groupPairs(q: Queryable, groupId: string) {
  const { rows } = await q.query<{ account_id: string; permission_set_id: string }>(
    `with recursive up(id, depth) as (
       select $1::uuid, 0
       union
       select gm.group_id, up.depth + 1 from group_members gm join up on gm.member_group_id = up.id where up.depth < 64
     )
     select distinct account_id, permission_set_id from assignments where group_id in (select id from up)`,
    [groupId],
  );
  return rows.map((r) => ({ accountId: r.account_id, permissionSetId: r.permission_set_id }));
}

export async function revocationsOf(q: Queryable, events: EventRow[]): Promise<Revocation[]> {
  const out: Revocation[] = [];
  for (const e of events) {
    const data = e.data;
    if (e.type === 'permission_set.updated' || e.type === 'permission_set.deleted') {
      const version = Number(data['version']);
      const minVersion = e.type === 'permission_set.deleted' ? version + 1 : version;
      out.push({ kind: 'permission_set', permissionSetId: String(data['permissionSetId']), minVersion });
      continue;
    }
    if (!e.user_id) continue;
    const candidates =
      e.type === 'assignment.removed'
        ? [{ accountId: String(data['accountId']), permissionSetId: String(data['permissionSetId']) }]
        : e.group_id
          ? await groupPairs(q, e.group_id)
          : [];
    for (const lost of await lostPairs(q, e.user_id, candidates)) {
      out.push({ kind: 'assignment', userId: e.user_id, ...lost, notBefore: Math.ceil(e.at_ms) });
    }
  }
  return out;
}

async function readSince(q: Queryable, afterId: number, windowMs: number): Promise<EventRow[]> {
  const { rows } = await q.query<EventRow>(
    `select id, type, user_id, group_id, data, extract(epoch from at) * 1000 as at_ms from domain_events
     where id > $1 and type = any($2::text[]) and at > now() - make_interval(secs => $3::float8 / 1000)
     order by id limit 5000`,
    [afterId, TYPES, windowMs],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), at_ms: Number(r.at_ms) }));
}

export interface AccessRevocationFeed {
  /** Applies every access event not applied yet (awaitable: tests, start-up). */
  catchUp(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Feeds `target` from the access events of the last `window` (the longest credential lifetime and
 * then some: older credentials are dead anyway), then from each new one.
 */
export async function startAccessRevocationFeed(
  db: Db,
  target: { apply(revocation: Revocation): void },
  options: { window: number; interval: number; onError?: (error: unknown) => void },
): Promise<AccessRevocationFeed> {
  let cursor = 0;
  const passes = serialPasses(async () => {
    for (;;) {
      const events = await readSince(db, cursor, options.window);
      if (events.length === 0) return;
      for (const r of await revocationsOf(db, events)) target.apply(r);
      cursor = events.at(-1)!.id;
    }
  });
  const catchUp = passes.run;
  const wake = () => void catchUp().catch((error: unknown) => options.onError?.(error));
  await catchUp();
  const unlisten = await db.listen(EVENTS_CHANNEL, wake);
  const timer = setInterval(wake, options.interval).unref();
  return {
    catchUp,
    async close() {
      clearInterval(timer);
      await unlisten();
      await passes.current()?.catch(() => {});
    },
  };
}
