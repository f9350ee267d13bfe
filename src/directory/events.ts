import { notify, type Queryable } from '../store/db.ts';

export const EVENTS_CHANNEL = 'gatehouse_events';

export type DomainEventType =
  | 'user.created'
  | 'user.updated'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.deprovisioned'
  | 'user.reactivated'
  | 'user.erased'
  | 'user.password_changed'
  | 'user.revoked'
  | 'session.ended'
  | 'group.created'
  | 'group.updated'
  | 'group.deleted'
  | 'membership.added'
  | 'membership.removed'
  // Access (src/access): revocation reacts to the ones that take something away.
  | 'account.deleted'
  | 'policy.updated'
  | 'permission_set.updated'
  | 'permission_set.deleted'
  | 'assignment.created'
  | 'assignment.removed';

export interface DomainEvent {
  type: DomainEventType;
  userId?: string | null;
  groupId?: string | null;
  data?: Record<string, unknown>;
}

/**
 * Records a domain event in the transaction of the change, and wakes subscribers at commit
 * (NOTIFY carries only the id; subscribers read the row, so nothing is lost if a NOTIFY is).
 */
export async function emit(tx: Queryable, event: DomainEvent): Promise<number> {
  const { rows } = await tx.query<{ id: number }>(
    'insert into domain_events (type, user_id, group_id, data) values ($1, $2, $3, $4) returning id',
    [event.type, event.userId ?? null, event.groupId ?? null, event.data ?? {}],
  );
  const id = rows[0]!.id;
  await notify(tx, EVENTS_CHANNEL, String(id));
  return id;
}

/** Records several events in one statement (bulk changes); each still wakes subscribers at commit. */
export async function emitMany(tx: Queryable, events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.query(
    `with e as (
       insert into domain_events (type, user_id, group_id, data)
       select type, user_id, group_id, data::jsonb
       from unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[]) as t(type, user_id, group_id, data)
       returning id
     ) select pg_notify($5, id::text) from e`,
    [
      events.map((e) => e.type),
      events.map((e) => e.userId ?? null),
      events.map((e) => e.groupId ?? null),
      events.map((e) => JSON.stringify(e.data ?? {})),
      EVENTS_CHANNEL,
    ],
  );
}

export interface StoredEvent extends DomainEvent {
  id: number;
  at: Date;
}

/** Events after `afterId`, oldest first. */
export async function readEvents(q: Queryable, afterId: number, limit = 1000): Promise<StoredEvent[]> {
  const { rows } = await q.query<{
    id: number;
    type: DomainEventType;
    user_id: string | null;
    group_id: string | null;
    data: Record<string, unknown>;
    at: Date;
  }>('select id, type, user_id, group_id, data, at from domain_events where id > $1 order by id limit $2', [
    afterId,
    limit,
  ]);
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    userId: r.user_id,
    groupId: r.group_id,
    data: r.data,
    at: r.at,
  }));
}
