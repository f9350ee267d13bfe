import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { bootstrapRoot, setupUrl } from '../directory/bootstrap.ts';
import { parseDuration } from '../duration.ts';
import { checkMasterKey, ensureKeys, rotateKeys } from '../keys/keyring.ts';
import { loadMasterKey } from '../keys/master-key.ts';
import { createLogger, type Logger } from '../log.ts';
import { policyCommand } from '../policy/cli.ts';
import { startRuntime } from '../runtime.ts';
import type { Db } from '../store/db.ts';
import { migrate, migrationStatus, readMigrations } from '../store/migrate.ts';
import { openDb } from '../store/open.ts';
import { applyCommand } from './apply.ts';
import { auditCommand } from './audit.ts';
import { type Io, parseCommandArgs as parse, UsageError } from './io.ts';
import { credentialsCommand, loginCommand } from './login.ts';
import { scimCommand } from './scim.ts';
import { syncCommand } from './sync.ts';
import { tokensCommand } from './tokens.ts';

export interface Command {
  summary: string;
  usage: string;
  run(args: string[], context: CommandContext): Promise<number>;
}

export interface CommandContext {
  io: Io;
  configFile: string | undefined;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT); used by long-running commands. */
  stopSignal: Promise<void>;
}

const config = (context: CommandContext): Config =>
  loadConfig({ env: context.io.env, file: context.configFile, cwd: context.io.cwd });

/** Commands other than serve log to stderr at warn, so stdout carries only their output. */
const quietLogger = (cfg: Config): Logger =>
  createLogger(cfg.log.level === 'info' ? 'warn' : cfg.log.level, undefined).child({ cli: true });

async function withDb<T>(cfg: Config, fn: (db: Db, master: Buffer) => Promise<T>): Promise<T> {
  const master = loadMasterKey(cfg.masterKey, cfg.dataDir);
  const db = await openDb(cfg);
  try {
    await checkMasterKey(db, master.key);
    return await fn(db, master.key);
  } finally {
    await db.close();
  }
}

export const commands: Record<string, Command> = {
  apply: applyCommand,
  audit: auditCommand,
  credentials: credentialsCommand,
  login: loginCommand,
  policy: {
    summary:
      'offline policy tools: policy validate FILE…, policy simulate --policy FILE… --action A --resource ARN',
    usage: 'gatehouse policy validate|simulate … (gatehouse policy --help for details)',
    run: (args, context) => policyCommand(args.length ? args : ['--help'], context.io),
  },
  serve: {
    summary: 'run the server (applies pending migrations unless --no-migrate)',
    usage: 'gatehouse serve [--no-migrate]',
    async run(args, context) {
      const { values } = parse(args, { 'no-migrate': { type: 'boolean' } });
      if (values.help) return help(this, context.io);
      const cfg = config(context);
      const log = createLogger(cfg.log.level);
      // Loaded here: the HTTP stack (the OpenID provider above all) would slow every other command.
      const { serve } = await import('../server.ts');
      const running = await serve(cfg, log, {
        ...(values['no-migrate'] ? { migrate: false } : {}),
        announce: context.io.stderr,
      });
      await context.stopSignal;
      await running.stop();
      log.flush();
      return 0;
    },
  },
  migrate: {
    summary: 'apply pending database migrations (--status: list them, apply nothing)',
    usage: 'gatehouse migrate [--status]',
    async run(args, context) {
      const { values } = parse(args, { status: { type: 'boolean' } });
      if (values.help) return help(this, context.io);
      const cfg = config(context);
      return withDb(cfg, async (db) => {
        if (values.status) {
          const status = await migrationStatus(db);
          for (const m of readMigrations()) {
            context.io.stdout(`${status.applied.includes(m.version) ? 'applied' : 'pending'}  ${m.name}`);
          }
          return status.pending.length ? 1 : 0;
        }
        const applied = await migrate(db);
        context.io.stdout(
          applied.length ? applied.map((name) => `applied  ${name}`).join('\n') : 'database is up to date',
        );
        return 0;
      });
    },
  },
  init: {
    summary: 'create the root administrator and print its one-time set-up link',
    usage: 'gatehouse init [--new-link]   (--new-link: replace the set-up link of an existing root)',
    async run(args, context) {
      const { values } = parse(args, { 'new-link': { type: 'boolean' } });
      if (values.help) return help(this, context.io);
      const cfg = config(context);
      const runtime = await startRuntime(cfg, quietLogger(cfg));
      try {
        const link = await bootstrapRoot(runtime.db, {
          newLink: values['new-link'] === true,
          context: { actor: 'cli' },
        });
        if (!link) {
          context.io.stdout('root administrator already exists; use --new-link for a new set-up link');
          return 0;
        }
        context.io.stdout(
          `Set up the root administrator within one hour, once, at:\n  ${setupUrl(cfg.url, link.token)}`,
        );
        return 0;
      } finally {
        await runtime.close();
      }
    },
  },
  sync: syncCommand,
  keys: {
    summary: 'manage the key ring: keys rotate [--activate-in DURATION] [--overlap DURATION], keys list',
    usage:
      'gatehouse keys rotate [--activate-in 24h] [--overlap 7d]\n  gatehouse keys list\n\nrotate adds a new key of every algorithm; the keys it replaces keep verifying for the overlap\n(default keys.rotationOverlap). --activate-in publishes the new keys now and signs with them later.',
    async run(args, context) {
      const { values, positionals } = parse(args, {
        'activate-in': { type: 'string' },
        overlap: { type: 'string' },
      });
      if (values.help) return help(this, context.io);
      const [action, ...rest] = positionals;
      if (rest.length || (action !== 'rotate' && action !== 'list'))
        throw new UsageError('expected "keys rotate" or "keys list"');
      const cfg = config(context);
      const duration = (name: string, text: string | undefined, fallback: number) => {
        if (text === undefined) return fallback;
        const ms = parseDuration(text);
        if (ms === undefined) throw new UsageError(`--${name}: expected a duration like 24h or 7d`);
        return ms;
      };
      const overlapMs = duration('overlap', values.overlap, cfg.keys.rotationOverlap);
      const activateInMs = duration('activate-in', values['activate-in'], 0);
      return withDb(cfg, async (db, master) => {
        const status = await migrationStatus(db);
        if (status.pending.length) throw new Error('database needs migrations; run gatehouse migrate first');
        await ensureKeys(db, master);
        if (action === 'rotate') {
          for (const key of await rotateKeys(db, master, { overlapMs, activateInMs })) {
            context.io.stdout(
              `added ${key.alg.padEnd(7)} ${key.kid}  active from ${key.activatesAt.toISOString()}`,
            );
          }
          return 0;
        }
        const { rows } = await db.query<{
          kid: string;
          alg: string;
          activates_at: Date;
          retires_at: Date | null;
        }>('select kid, alg, activates_at, retires_at from keys order by alg, activates_at desc');
        for (const row of rows) {
          const state =
            row.retires_at && row.retires_at.getTime() <= Date.now()
              ? 'retired'
              : row.activates_at.getTime() > Date.now()
                ? `staged until ${row.activates_at.toISOString()}`
                : row.retires_at
                  ? `retiring at ${row.retires_at.toISOString()}`
                  : 'active';
          context.io.stdout(`${row.alg.padEnd(7)} ${row.kid}  ${state}`);
        }
        return 0;
      });
    },
  },
  scim: scimCommand,
  tokens: tokensCommand,
};

export function help(command: Command, io: Io): number {
  io.stdout(`${command.summary}\n\nusage: ${command.usage}`);
  return 0;
}
