import { randomUUID } from 'node:crypto';
import { type AuditContext, audit, CLI } from '../audit/audit.ts';
import { GatehouseError } from '../errors.ts';
import type { Db, Queryable } from '../store/db.ts';
import { isRetryable, sqlState } from '../store/errors.ts';
import type { StateFile } from './load.ts';
import { prefixed } from './problems.ts';
import type { Change, PlanContext, Problem, Section } from './section.ts';
import { type DirectorySnapshot, readDirectory } from './snapshot.ts';

export interface ApplyOptions {
  /** Compute and return the plan; change nothing. */
  dryRun?: boolean;
  /** Remove the managed objects of each section in the file that the file no longer declares. */
  prune?: boolean;
  /** Who applies; defaults to actor `cli`. Every audit entry of one apply carries one request id. */
  context?: AuditContext;
}

export interface ApplyResult {
  changes: Change[];
  dryRun: boolean;
}

/** `+ user alice`, `~ user bob: displayName, emails`, `- user dave (deprovision)` */
export function formatChange(change: Change): string {
  const detail = change.detail ? (change.op === '~' ? `: ${change.detail}` : ` (${change.detail})`) : '';
  return `${change.op} ${change.subject}${detail}`;
}

export function formatSummary(count: number, dryRun: boolean): string {
  return `${count} change${count === 1 ? '' : 's'}${dryRun && count ? ' (dry run: nothing was changed)' : ''}`;
}

/**
 * The changes that would make the database match the file, in the order they run. Every section
 * of the file is planned before any problem is reported, so one run names them all.
 */
export async function planState(tx: Queryable, state: StateFile, options: { prune?: boolean } = {}) {
  let snapshot: Promise<DirectorySnapshot> | undefined;
  const context: PlanContext = {
    prune: options.prune ?? false,
    declared: <Entry>(section: Section<Entry>) =>
      state.entries.get(section as Section<unknown>) as Entry[] | undefined,
    directory: () => {
      snapshot ??= readDirectory(tx);
      return snapshot;
    },
  };
  const changes: Change[] = [];
  const problems: Problem[] = [];
  for (const [section, entries] of state.entries) {
    const plan = await section.plan(tx, entries, context);
    changes.push(...plan.changes);
    problems.push(...prefixed([section.key], plan.problems));
  }
  if (problems.length) throw state.invalid(problems);
  return changes;
}

/**
 * Plans and applies a state file in one transaction: everything or nothing. Concurrent applies
 * queue behind one another. A dry run plans under the same lock and writes nothing.
 */
export async function applyState(db: Db, state: StateFile, options: ApplyOptions = {}): Promise<ApplyResult> {
  const dryRun = options.dryRun ?? false;
  const context: AuditContext = {
    requestId: `apply-${randomUUID()}`,
    ...(options.context ?? CLI),
  };
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(hashtextextended('gatehouse:apply', 0))");
    const changes = await planState(tx, state, options);
    if (dryRun) return { changes, dryRun };
    for (const change of changes) {
      try {
        await change.run(tx, context);
      } catch (error) {
        throw failed(change, error);
      }
    }
    if (changes.length) {
      await audit(tx, context, {
        action: 'state.apply',
        details: {
          file: state.name,
          sha256: state.sha256,
          changes: changes.length,
          prune: options.prune ?? false,
          sections: [...state.entries.keys()].map((s) => s.key),
        },
      });
    }
    return { changes, dryRun };
  });
}

/** A change the domain refused: the apply stops and its transaction rolls back. */
function failed(change: Change, error: unknown): unknown {
  const message = `${formatChange(change)}: ${(error as Error)?.message ?? String(error)}; nothing was changed`;
  if (error instanceof GatehouseError)
    return new GatehouseError(error.kind, 'apply.failed', message, error.details);
  // Serialization failures are retried by the transaction; other database refusals are reported.
  if (sqlState(error) && !isRetryable(error)) return new GatehouseError('conflict', 'apply.failed', message);
  return error;
}
