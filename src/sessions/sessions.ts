import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { type AuditContext, audit, SYSTEM } from '../audit/audit.ts';
import { emit, emitMany } from '../directory/events.ts';
import type { Queryable } from '../store/db.ts';
import { acrFor } from './assurance.ts';
import type { PortalSession, SessionEndReason, SessionLimits } from './types.ts';

/**
 * Server-side portal sessions. The browser holds a random 256-bit token; the database keeps only
 * its SHA-256, so a copy of the table signs nobody in. A session ends after `idle` without use, at
 * `absolute` after sign-in, when its user stops being active or is invalidated (`users.valid_after`
 * moves past it: disable, deprovision, password reset), or when it is ended by hand.
 * Ending deletes the row; the audit log keeps the record.
 */

export interface NewSession {
  userId: string;
  amr: readonly string[];
  /** Defaults to what the amr values earn (see assurance.ts). */
  acr?: string;
  /** When the person proved who they are; defaults to now. */
  authTime?: Date;
  userAgent?: string | undefined;
  ip?: string | undefined;
}

interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  auth_time: Date;
  amr: string[];
  acr: string;
  mfa: boolean;
  user_agent: string | null;
  ip: string | null;
}

const COLUMNS = 'id, user_id, created_at, last_seen_at, auth_time, amr, acr, mfa, user_agent, ip';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** last_seen_at is written at most this often (a write per request would cost more than it tells). */
const TOUCH_EVERY_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

const toSession = (row: SessionRow): PortalSession => ({
  id: row.id,
  userId: row.user_id,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  authTime: row.auth_time,
  amr: row.amr,
  acr: row.acr,
  mfa: row.mfa,
  ...(row.user_agent !== null ? { userAgent: row.user_agent } : {}),
  ...(row.ip !== null ? { ip: row.ip } : {}),
});

/** Runs `fn` in a transaction of its own unless `q` is one already (audit entries need one). */
async function atomically<T>(q: Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const db = q as Queryable & { transaction?: (f: (tx: Queryable) => Promise<T>) => Promise<T> };
  return typeof db.transaction === 'function' ? db.transaction(fn) : fn(q);
}

/** Why a session found at `now` is over, or undefined while it is live. */
function expiry(
  row: Pick<SessionRow, 'created_at' | 'last_seen_at'>,
  limits: SessionLimits,
  now: number,
): 'idle' | 'absolute' | undefined {
  if (now - row.created_at.getTime() >= limits.absolute) return 'absolute';
  if (now - row.last_seen_at.getTime() >= limits.idle) return 'idle';
  return undefined;
}

/**
 * Starts a session for a person who has just signed in; returns it with the token for the cookie
 * (shown once, never stored). The user's sessions that are over are cleared on the way.
 */
export async function createSession(
  q: Queryable,
  context: AuditContext,
  input: NewSession,
  limits: SessionLimits,
  now: number = Date.now(),
): Promise<{ session: PortalSession; token: string }> {
  const token = randomBytes(32).toString('base64url');
  const at = new Date(now);
  const amr = [...new Set(input.amr)];
  const acr = input.acr ?? acrFor(amr);
  return atomically(q, async (tx) => {
    await tx.query(
      `delete from portal_sessions where user_id = $1
       and (created_at <= $2 or last_seen_at <= $3)`,
      [input.userId, new Date(now - limits.absolute), new Date(now - limits.idle)],
    );
    const { rows } = await tx.query<SessionRow>(
      `insert into portal_sessions (id, token_hash, user_id, created_at, last_seen_at, auth_time, amr, acr, mfa, user_agent, ip)
       values ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10) returning ${COLUMNS}`,
      [
        randomUUID(),
        hashToken(token),
        input.userId,
        at,
        input.authTime ?? at,
        amr,
        acr,
        amr.includes('mfa'),
        input.userAgent?.slice(0, 512) ?? null,
        input.ip ?? null,
      ],
    );
    const session = toSession(rows[0]!);
    await audit(tx, context, {
      action: 'session.create',
      target: `user:${input.userId}`,
      details: { sessionId: session.id, amr, acr },
    });
    return { session, token };
  });
}

/**
 * The live session a token stands for, or undefined. Reading it counts as use (the idle clock
 * restarts, written at most once a minute). A session found over, or whose user is no longer
 * active or was invalidated after it began, is ended here and then.
 */
export async function readSession(
  q: Queryable,
  token: string,
  limits: SessionLimits,
  now: number = Date.now(),
): Promise<PortalSession | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const { rows } = await q.query<SessionRow & { status: string; valid_after: Date }>(
    `select ${COLUMNS.split(', ')
      .map((c) => `s.${c}`)
      .join(', ')}, u.status, u.valid_after
     from portal_sessions s join users u on u.id = s.user_id where s.token_hash = $1`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row) return undefined;
  const over =
    row.status !== 'active' || row.created_at < row.valid_after ? 'user_inactive' : expiry(row, limits, now);
  if (over) {
    await endSession(q, SYSTEM, row.id, over);
    return undefined;
  }
  if (now - row.last_seen_at.getTime() >= TOUCH_EVERY_MS) {
    row.last_seen_at = new Date(now);
    await q.query('update portal_sessions set last_seen_at = $2 where id = $1 and last_seen_at < $2', [
      row.id,
      row.last_seen_at,
    ]);
  }
  return toSession(row);
}

/** A user's live sessions, newest first. */
export async function listUserSessions(
  q: Queryable,
  userId: string,
  limits: SessionLimits,
  now: number = Date.now(),
): Promise<PortalSession[]> {
  const { rows } = await q.query<SessionRow>(
    `select ${COLUMNS} from portal_sessions
     where user_id = $1 and created_at > $2 and last_seen_at > $3 order by created_at desc`,
    [userId, new Date(now - limits.absolute), new Date(now - limits.idle)],
  );
  return rows.filter((r) => !expiry(r, limits, now)).map(toSession);
}

/**
 * A session ended before its time (sign-out, ended by hand, revoked) kills what was obtained
 * through it on every node (credentials carry the session id; see src/revocation). One that ran
 * out (idle, absolute) does not: credentials obtained from it live their own, shorter lifetime.
 */
const kills = (reason: SessionEndReason) => reason !== 'idle' && reason !== 'absolute';

const endedEvent = (userId: string, sessionId: string, reason: SessionEndReason) => ({
  type: 'session.ended' as const,
  userId,
  data: { sessionId, reason, kind: 'portal' },
});

/**
 * Ends one session (audited). With `userId`, only if the session is that user's (a person ending
 * one of their own). Returns whether a session ended.
 */
export async function endSession(
  q: Queryable,
  context: AuditContext,
  sessionId: string,
  reason: SessionEndReason,
  options: { userId?: string } = {},
): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(sessionId)) return false;
  return atomically(q, async (tx) => {
    const { rows } = await tx.query<{ user_id: string }>(
      `delete from portal_sessions where id = $1 ${options.userId ? 'and user_id = $2' : ''} returning user_id`,
      options.userId ? [sessionId, options.userId] : [sessionId],
    );
    const row = rows[0];
    if (!row) return false;
    if (kills(reason)) await emit(tx, endedEvent(row.user_id, sessionId, reason));
    await audit(tx, context, {
      action: 'session.end',
      target: `user:${row.user_id}`,
      details: { sessionId, reason },
    });
    return true;
  });
}

/**
 * Ends every session of a user (the revocation work calls it when a person leaves; a person can
 * also sign out everywhere). Runs in the caller's transaction when given one. Returns how many ended.
 */
export async function endUserSessions(
  q: Queryable,
  userId: string,
  reason: SessionEndReason,
  context: AuditContext = SYSTEM,
  options: { except?: string } = {},
): Promise<number> {
  return atomically(q, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `delete from portal_sessions where user_id = $1 ${options.except ? 'and id <> $2' : ''} returning id`,
      options.except ? [userId, options.except] : [userId],
    );
    if (rows.length > 0) {
      if (kills(reason))
        await emitMany(
          tx,
          rows.map((r) => endedEvent(userId, r.id, reason)),
        );
      await audit(tx, context, {
        action: 'session.end_all',
        target: `user:${userId}`,
        details: { reason, count: rows.length, sessionIds: rows.map((r) => r.id) },
      });
    }
    return rows.length;
  });
}

/** Deletes sessions that are over (housekeeping; reading or listing never returns them anyway). */
export async function purgeExpiredSessions(
  q: Queryable,
  limits: SessionLimits,
  now: number = Date.now(),
): Promise<number> {
  const { rowCount } = await q.query(
    'delete from portal_sessions where created_at <= $1 or last_seen_at <= $2',
    [new Date(now - limits.absolute), new Date(now - limits.idle)],
  );
  return rowCount;
}
