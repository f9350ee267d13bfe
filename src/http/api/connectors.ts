import type { Connector } from '../../../connectors/types.ts';
import { GatehouseError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { confirmSync, syncConnector } from '../../sync/run.ts';
import { type LastRun, lastRuns, readSyncState } from '../../sync/state.ts';
import { type ApiRoute, defineRoute } from './route.ts';
import { connectorListResponse, syncRequestBody, syncResultResponse } from './schemas.ts';

const tag = 'connectors';

function connectorOf(runtime: Runtime, id: string): Connector {
  const connector = runtime.connectors.find((c) => c.id === id);
  if (!connector) throw new GatehouseError('not_found', 'sync.unknown_connector', `no connector ${id}`);
  return connector;
}

/** What a finished run (SyncRun) and a recorded one (LastRun) have in common. */
type RunView = Omit<LastRun, 'connectorId' | 'runId' | 'error'> & { error?: string | null | undefined };

const wireRun = (run: RunView) => ({
  kind: run.kind,
  trigger: run.trigger,
  startedAt: run.startedAt.toISOString(),
  finishedAt: run.finishedAt.toISOString(),
  durationMs: run.durationMs,
  outcome: run.outcome,
  complete: run.complete,
  counts: run.counts,
  error: run.error ?? null,
});

export const connectorRoutes: ApiRoute[] = [
  defineRoute({
    method: 'get',
    path: '/connectors',
    operationId: 'listConnectors',
    tag,
    summary: 'Directory connectors with their last sync runs and any sync held for confirmation',
    scope: 'directory:read',
    status: 200,
    response: connectorListResponse,
    async handle({ runtime }) {
      const connectors = [];
      for (const connector of runtime.connectors) {
        const [runs, state] = await Promise.all([
          lastRuns(runtime.db, connector.id),
          readSyncState(runtime.db, connector.id),
        ]);
        const pending = state.pending;
        connectors.push({
          id: connector.id,
          type: connector.type,
          lastRuns: runs.map(wireRun),
          pendingConfirmation: pending ? { ...pending, at: pending.at.toISOString() } : null,
        });
      }
      return { connectors };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/connectors/{id}/sync',
    operationId: 'syncConnector',
    tag,
    summary: 'Run a directory sync now, or confirm a held one',
    description:
      'Answers when the run ends. `{"confirm": token}` applies a sync that was held for deprovisioning more than the configured share of users (the token comes from GET /connectors). 409 when another sync of the connector is running.',
    scope: 'directory:write',
    body: syncRequestBody,
    bodyOptional: true,
    status: 200,
    response: syncResultResponse,
    errors: [404, 409, 412],
    async handle({ params, body, audit, runtime }) {
      const connector = connectorOf(runtime, params['id']!);
      if (!connector.fullSync)
        throw new GatehouseError('conflict', 'sync.not_supported', `${connector.id} does not sync`);
      const deps = { db: runtime.db, log: runtime.log };
      const attempt = body?.confirm
        ? await confirmSync(deps, connector, { token: body.confirm, context: audit })
        : await syncConnector(deps, connector, {
            kind: body?.full ? 'full' : 'incremental',
            trigger: 'api',
            context: audit,
          });
      if (!attempt.ran)
        throw new GatehouseError('conflict', 'sync.busy', `another sync of ${connector.id} is running`);
      return { runs: attempt.runs.map(wireRun) };
    },
  }),
];
