// What every step of one run shares: the connector's source, who the changes are attributed to,
// and where counts and skipped entries go.
import type { AuditContext } from '../audit/audit.ts';
import { addCounts, type SyncCounts, type SyncKind } from './types.ts';

const MAX_SAMPLES = 20;

export interface RunScope {
  connectorId: string;
  /** `<type>:<connector id>` (`ldap:corp-ad`): the source of the users and groups this connector owns. */
  source: string;
  runId: string;
  kind: SyncKind;
  /** Per-entry changes are written by `connector:<id>`, correlated by `sync:<run id>`. */
  audit: AuditContext;
  counts: SyncCounts;
  errorSamples: string[];
}

export function runScope(
  connector: { id: string; type: string },
  runId: string,
  kind: SyncKind,
  counts: SyncCounts,
): RunScope {
  const connectorId = connector.id;
  return {
    connectorId,
    source: sourceOf(connector),
    runId,
    kind,
    audit: { actor: `connector:${connectorId}`, requestId: `sync:${runId}` },
    counts,
    errorSamples: [],
  };
}

/** `ldap:corp-ad`: the connector's kind and id. */
export const sourceOf = (connector: { id: string; type: string }): string =>
  `${connector.type}:${connector.id}`;

/** Counts of one transaction, merged into the run only once it committed (a retry starts afresh). */
export class BatchTally {
  readonly counts: Partial<SyncCounts> = {};
  readonly samples: string[] = [];

  add(key: keyof SyncCounts, n = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + n;
  }

  error(what: string, message: string): void {
    this.add('errors');
    this.samples.push(`${what}: ${message}`);
  }

  mergeInto(scope: RunScope): void {
    addCounts(scope.counts, this.counts);
    for (const s of this.samples) if (scope.errorSamples.length < MAX_SAMPLES) scope.errorSamples.push(s);
  }
}
