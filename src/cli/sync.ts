// gatehouse sync [--connector ID] [--full] [--confirm]: run a directory sync now and print its counts.
import { parseArgs } from 'node:util';
import type { Connector } from '../../connectors/types.ts';
import { CLI } from '../audit/audit.ts';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { startRuntime } from '../runtime.ts';
import { confirmSync, type SyncAttempt, syncConnector } from '../sync/run.ts';
import type { SyncRun } from '../sync/types.ts';
import type { Command } from './commands.ts';
import { EXIT, UsageError } from './io.ts';

const USAGE = `gatehouse sync [--connector ID] [--full] [--confirm]

Runs a directory sync of every connector (or of one) now, on this node, and prints what it did.
Without --full an incremental sync runs (a full one when there was none yet).
  --connector ID  only this connector (its id in gatehouse.yaml)
  --full          a full sync: reads the whole directory; the only kind that deprovisions absent users
  --confirm       apply a held sync: a full sync that may disable and deprovision up to what was held
Exit code 0 when every sync applied, 1 when one was held, incomplete, failed or busy.`;

export const syncCommand: Command = {
  summary: 'run a directory sync now: sync [--connector ID] [--full] [--confirm]',
  usage: USAGE,
  async run(args, context) {
    let values: {
      connector?: string | undefined;
      full?: boolean | undefined;
      confirm?: boolean | undefined;
      help?: boolean | undefined;
    };
    try {
      ({ values } = parseArgs({
        args,
        options: {
          connector: { type: 'string' },
          full: { type: 'boolean' },
          confirm: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
      }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (values.help) {
      context.io.stdout(`${syncCommand.summary}\n\nusage: ${USAGE}`);
      return EXIT.ok;
    }
    if (values.full && values.confirm)
      throw new UsageError('--confirm already runs a full sync; give one of them');
    const cfg = loadConfig({ env: context.io.env, file: context.configFile, cwd: context.io.cwd });
    if (cfg.connectors.length === 0)
      throw new Error('no directory connectors are configured (connectors: in gatehouse.yaml)');
    if (values.connector !== undefined && !cfg.connectors.some((c) => c.id === values.connector))
      throw new UsageError(
        `--connector: no connector "${values.connector}" (configured: ${cfg.connectors.map((c) => c.id).join(', ')})`,
      );
    const log = createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level).child({ cli: true });
    const runtime = await startRuntime(cfg, log);
    const controller = new AbortController();
    void context.stopSignal.then(() => controller.abort());
    try {
      let ok = true;
      for (const connector of runtime.connectors) {
        if (values.connector !== undefined && connector.id !== values.connector) continue;
        if (!connector.fullSync) {
          context.io.stdout(`${connector.id}: this connector does not sync`);
          continue;
        }
        const deps = { db: runtime.db, log };
        const attempt: SyncAttempt = values.confirm
          ? await confirmSync(deps, connector, { context: CLI, signal: controller.signal })
          : await syncConnector(deps, connector, {
              kind: values.full ? 'full' : 'incremental',
              trigger: 'cli',
              context: CLI,
              signal: controller.signal,
            });
        if (!attempt.ran) {
          ok = false;
          context.io.stdout(
            `${connector.id}: another sync of this connector is running (here or on another node); try again later`,
          );
          continue;
        }
        for (const run of attempt.runs) {
          for (const line of describeRun(run, connector)) context.io.stdout(line);
          if (run.outcome !== 'applied') ok = false;
        }
      }
      return ok ? EXIT.ok : EXIT.failure;
    } finally {
      await runtime.close();
      log.flush();
    }
  },
};

export function describeRun(run: SyncRun, connector: Connector): string[] {
  const c = run.counts;
  const seconds = `${(run.durationMs / 1000).toFixed(1)} s`;
  const counts =
    `users: ${c.added} added, ${c.updated} updated, ${c.disabled} disabled, ${c.removed} removed, ` +
    `${c.reactivated} reactivated, ${c.errors} errors; groups: ${c.groupsAdded} added, ${c.groupsUpdated} updated, ` +
    `${c.groupsRemoved} removed; memberships: ${c.membershipsAdded} added, ${c.membershipsRemoved} removed`;
  const head = `${run.connectorId}: ${run.kind} sync`;
  const lines: string[] = [];
  switch (run.outcome) {
    case 'applied':
      lines.push(`${head} applied in ${seconds}; ${counts}`);
      break;
    case 'held': {
      const p = run.pending!;
      const share = p.base > 0 ? Math.round(((p.disable + p.deprovision) * 1000) / p.base) / 10 : 100;
      lines.push(
        `${head} HELD in ${seconds}: it would disable ${p.disable} and deprovision ${p.deprovision} of ${p.base} users ` +
          `(${share} %, more than the ${connector.syncPolicy.maxDeprovisionPercent} % allowed); none of that was applied`,
        `  other changes: ${counts}`,
        `  if the directory is right, apply it with: gatehouse sync --connector ${run.connectorId} --confirm`,
      );
      break;
    }
    default:
      lines.push(
        `${head} ${run.outcome.toUpperCase()} after ${seconds} (${run.reason}: ${run.error ?? ''}); nothing was disabled or removed; ${counts}`,
      );
  }
  for (const sample of run.errorSamples.slice(0, 5)) lines.push(`  skipped ${sample}`);
  if (run.errorSamples.length > 5) lines.push(`  … and ${c.errors - 5} more skipped (see the log)`);
  return lines;
}
