import { queryAudit } from '../../audit/audit.ts';
import { type ApiRoute, defineRoute } from './route.ts';
import { auditPageResponse, auditQuery } from './schemas.ts';

export const auditRoutes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/audit',
    operationId: 'queryAudit',
    tag: 'audit',
    summary: 'Read the audit log, newest first',
    description:
      'Filters combine (and). Page backwards by passing `nextBefore` as `before` until it is null. Every entry carries the hash of the one before it (`gatehouse audit verify` checks the chain).',
    scope: 'audit:read',
    query: auditQuery,
    status: 200,
    response: auditPageResponse,
    async handle({ query, runtime }) {
      const rows = await queryAudit(runtime.db, {
        ...(query.action ? { action: query.action } : {}),
        ...(query.actor ? { actor: query.actor } : {}),
        ...(query.target ? { target: query.target } : {}),
        ...(query.outcome ? { outcome: query.outcome } : {}),
        ...(query.since ? { since: new Date(query.since) } : {}),
        ...(query.until ? { until: new Date(query.until) } : {}),
        ...(query.before ? { before: query.before } : {}),
        limit: query.limit + 1,
      });
      const entries = rows.slice(0, query.limit);
      return {
        entries,
        nextBefore: rows.length > query.limit ? (entries.at(-1)?.seq ?? null) : null,
      };
    },
  }),
];
