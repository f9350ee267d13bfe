import { createHash } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';
import { likePrefix, sqlParams } from '../store/sql.ts';
import { canonicalJson } from './canonical-json.ts';

/** Who is acting, from where: carried by every state change down to its audit entry. */
export interface AuditContext {
  actor: string; // 'user:<id>', 'token:<id>', 'cli', 'system', 'connector:<id>', 'anonymous'
  ip?: string | null;
  requestId?: string | null;
}

export type Outcome = 'success' | 'failure' | 'denied';

export interface AuditEntry {
  action: string; // 'user.create', 'auth.signin', 'token.create', …
  target?: string | null; // 'user:<id>', 'group:<id>', …
  outcome?: Outcome;
  /** Never secrets: names of changed fields, counts, reasons. */
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  outcome: Outcome;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const SYSTEM: AuditContext = { actor: 'system' };
export const CLI: AuditContext = { actor: 'cli' };

export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  const body = canonicalJson([
    record.seq,
    record.at.toISOString(),
    record.actor,
    record.action,
    record.target,
    record.outcome,
    record.ip,
    record.requestId,
    record.details,
    record.prevHash,
  ]);
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Appends an entry in the caller's transaction (so it commits or vanishes with the change it
 * describes). The head row is locked for the rest of the transaction: concurrent writers queue
 * behind it (or, under snapshot isolation, fail with a serialization error and are retried),
 * so the chain never forks. Call it last in a transaction to hold the lock briefly.
 */
export async function audit(tx: Queryable, context: AuditContext, entry: AuditEntry): Promise<AuditRecord> {
  const [record] = await auditMany(tx, context, [entry]);
  return record!;
}

/**
 * Appends several entries of one actor at once (bulk changes such as a directory sync): one lock of
 * the head, one insert, one head update, the chain computed in order exactly as `audit` would.
 * Call it last in a transaction, like `audit`.
 */
export async function auditMany(
  tx: Queryable,
  context: AuditContext,
  entries: AuditEntry[],
): Promise<AuditRecord[]> {
  if (entries.length === 0) return [];
  const head = await tx.query<{ seq: number; hash: string }>('select seq, hash from audit_head for update');
  let prev = head.rows[0]!;
  const at = new Date();
  const records = entries.map((entry) => {
    const record: Omit<AuditRecord, 'hash'> = {
      seq: prev.seq + 1,
      at,
      actor: context.actor,
      action: entry.action,
      target: entry.target ?? null,
      outcome: entry.outcome ?? 'success',
      ip: context.ip ?? null,
      requestId: context.requestId ?? null,
      details: entry.details ?? {},
      prevHash: prev.hash,
    };
    const hash = hashRecord(record);
    prev = { seq: record.seq, hash };
    return { ...record, hash };
  });
  const column = <K extends keyof AuditRecord>(key: K) => records.map((r) => r[key]);
  await tx.query(
    `insert into audit_log (seq, at, actor, action, target, outcome, ip, request_id, details, prev_hash, hash)
     select seq, $2::timestamptz, $3, action, target, outcome, $4, $5, details::jsonb, prev_hash, hash
     from unnest($1::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
       as t(seq, action, target, outcome, details, prev_hash, hash)`,
    [
      column('seq'),
      at,
      context.actor,
      context.ip ?? null,
      context.requestId ?? null,
      column('action'),
      column('target'),
      column('outcome'),
      records.map((r) => JSON.stringify(r.details)),
      column('prevHash'),
      column('hash'),
    ],
  );
  await tx.query('update audit_head set seq = $1, hash = $2', [prev.seq, prev.hash]);
  return records;
}

/** An entry that stands alone (a failed sign-in changes nothing else). */
export function auditNow(db: Db, context: AuditContext, entry: AuditEntry): Promise<AuditRecord> {
  return db.transaction((tx) => audit(tx, context, entry));
}

interface Row {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  outcome: Outcome;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const toRecord = (row: Row): AuditRecord => ({
  seq: row.seq,
  at: row.at,
  actor: row.actor,
  action: row.action,
  target: row.target,
  outcome: row.outcome,
  ip: row.ip,
  requestId: row.request_id,
  details: row.details,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/** Every record in order, read in batches (memory stays flat whatever the size of the log). */
export async function* readAudit(q: Queryable, fromSeq = 1, batch = 1000): AsyncGenerator<AuditRecord> {
  for (let next = fromSeq; ; ) {
    const { rows } = await q.query<Row>('select * from audit_log where seq >= $1 order by seq limit $2', [
      next,
      batch,
    ]);
    for (const row of rows) yield toRecord(row);
    if (rows.length < batch) return;
    next = rows.at(-1)!.seq + 1;
  }
}

export type VerifyResult =
  | { ok: true; count: number; head: string }
  | { ok: false; seq: number; reason: string };

/** Walks the chain from the first row; names the first row whose content or link is wrong. */
export async function verifyAudit(q: Queryable): Promise<VerifyResult> {
  let expectedSeq = 1;
  let prevHash = '0'.repeat(64);
  for await (const record of readAudit(q)) {
    if (record.seq !== expectedSeq)
      return { ok: false, seq: expectedSeq, reason: `row ${expectedSeq} is missing` };
    if (record.prevHash !== prevHash)
      return { ok: false, seq: record.seq, reason: 'does not link to the previous row' };
    const { hash, ...rest } = record;
    if (hashRecord(rest) !== hash)
      return { ok: false, seq: record.seq, reason: 'content does not match its hash' };
    prevHash = hash;
    expectedSeq++;
  }
  const head = await q.query<{ seq: number; hash: string }>('select seq, hash from audit_head');
  const { seq, hash } = head.rows[0]!;
  if (seq !== expectedSeq - 1 || hash !== prevHash) {
    return {
      ok: false,
      seq: expectedSeq,
      reason: `log ends at row ${expectedSeq - 1} but its head says ${seq}: rows were removed`,
    };
  }
  return { ok: true, count: expectedSeq - 1, head: prevHash };
}

export interface AuditQuery {
  action?: string;
  actor?: string;
  target?: string;
  outcome?: Outcome;
  since?: Date;
  until?: Date;
  /** Cursor: return rows older than this sequence number (newest first). */
  before?: number;
  limit: number;
}

/** Newest first, filtered; `before` pages backwards through the log. */
export async function queryAudit(q: Queryable, query: AuditQuery): Promise<AuditRecord[]> {
  const where: string[] = [];
  const { values, param } = sqlParams();
  if (query.action) {
    const prefix = query.action.endsWith('.*');
    where.push(
      prefix
        ? `action like ${param(likePrefix(query.action.slice(0, -1)))}`
        : `action = ${param(query.action)}`,
    );
  }
  if (query.actor) where.push(`actor = ${param(query.actor)}`);
  if (query.target) where.push(`target = ${param(query.target)}`);
  if (query.outcome) where.push(`outcome = ${param(query.outcome)}`);
  if (query.since) where.push(`at >= ${param(query.since)}`);
  if (query.until) where.push(`at < ${param(query.until)}`);
  if (query.before) where.push(`seq < ${param(query.before)}`);
  const { rows } = await q.query<Row>(
    `select * from audit_log ${where.length ? `where ${where.join(' and ')}` : ''} order by seq desc limit ${param(query.limit)}`,
    values,
  );
  return rows.map(toRecord);
}
