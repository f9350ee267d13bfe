import type { Registry } from 'prom-client';
import { buildConnector } from '../connectors/registry.ts';
import type { Connector } from '../connectors/types.ts';
import { type AccessNode, startAccess } from './access/node.ts';
import type { Config } from './config/schema.ts';
import { createMetrics } from './http/metrics.ts';
import { checkMasterKey, ensureKeys, KEYS_CHANNEL, type KeyRing, openKeyRing } from './keys/keyring.ts';
import { loadMasterKey } from './keys/master-key.ts';
import type { Logger } from './log.ts';
import { createReadiness, type Readiness } from './readiness.ts';
import { type ConsequenceRegistry, createConsequences } from './revocation/consequences.ts';
import { type RevocationNode, startRevocation } from './revocation/node.ts';
import { endUserSessions } from './sessions/sessions.ts';
import type { Db } from './store/db.ts';
import { migrate, migrationStatus, readMigrations } from './store/migrate.ts';
import { openDb } from './store/open.ts';

/** Everything a running node holds, built once at start and passed down. */
export interface Runtime {
  config: Config;
  log: Logger;
  db: Db;
  keys: KeyRing;
  masterKey: Buffer;
  metrics: Registry;
  readiness: Readiness;
  /** Directory connectors from `connectors:` (built at start; they connect when first used). */
  connectors: Connector[];
  /** This node's revocation set: every credential and token use is checked against it. */
  revocation: RevocationNode;
  /** What ends when a user is revoked, registered by the modules holding it (run once across nodes by serve). */
  consequences: ConsequenceRegistry;
  /** Compiled permission sets, the credential verifier and issuer (src/access/node.ts). */
  access: AccessNode;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Apply pending migrations (default: config.migrations.auto). */
  migrate?: boolean;
  /** Told as each step begins (serve's `/readyz` names it while the node starts). */
  progress?: (check: string, status: string) => void;
}

/**
 * Opens the database, checks the master key before anything is written, migrates, loads the key
 * ring and keeps it current (NOTIFY from `keys rotate`, plus a timer for missed notifications).
 */
export async function startRuntime(
  config: Config,
  log: Logger,
  options: StartOptions = {},
): Promise<Runtime> {
  const progress = options.progress ?? (() => {});
  progress('database', 'connecting');
  const master = loadMasterKey(config.masterKey, config.dataDir);
  if (master.warning) log.warn(master.warning);
  const db = await openDb(config, (event) =>
    event === 'lost'
      ? log.warn('database notification connection lost; reconnecting')
      : log.info('database notifications restored'),
  );
  const closers: (() => Promise<void> | void)[] = [() => db.close()];
  const close = async () => {
    for (const fn of closers.reverse()) await fn();
  };
  try {
    await checkMasterKey(db, master.key);
    progress('migrations', 'checking');
    const migrations = readMigrations();
    if (options.migrate ?? config.migrations.auto) {
      const applied = await migrate(db, migrations);
      if (applied.length) log.info({ applied }, 'migrations applied');
    }
    const status = await migrationStatus(db, migrations);
    if (status.pending.length) {
      throw new Error(
        `database needs migrations (${status.pending.map((m) => m.name).join(', ')}); run gatehouse migrate`,
      );
    }
    progress('keys', 'loading');
    await ensureKeys(db, master.key);
    const keys = await openKeyRing(db, master.key);
    const reloadKeys = () =>
      keys
        .reload()
        .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'key ring reload failed'));
    const unlisten = await db.listen(KEYS_CHANNEL, () => void reloadKeys());
    const timer = setInterval(reloadKeys, config.keys.refreshInterval).unref();
    closers.push(unlisten, () => clearInterval(timer));

    const connectors: Connector[] = [];
    closers.push(async () => {
      for (const c of connectors) await c.close().catch(() => {});
    });
    for (const c of config.connectors) connectors.push(buildConnector(c));

    const metrics = createMetrics(db);
    // The revocation set, and the access feed's share of it (removed assignments, changed sets).
    progress('revocation', 'loading');
    const revocation = await startRevocation(db, config.revocation, log, metrics);
    closers.push(() => revocation.close());
    const access = await startAccess(
      db,
      keys,
      revocation,
      { window: config.revocation.window, interval: config.revocation.reconcileInterval },
      log,
      metrics,
    );
    closers.push(() => access.close());

    const readiness = createReadiness();
    readiness.register('database', async () => {
      await db.query('select 1');
      return undefined;
    });
    readiness.register('migrations', async () => {
      const { rows } = await db.query<{ n: number }>('select count(*)::int as n from schema_migrations');
      return rows[0]!.n === migrations.length
        ? undefined
        : `database has ${rows[0]!.n} of ${migrations.length} migrations`;
    });
    readiness.register('keys', () => {
      keys.signingKey('ES256');
      keys.sealingKey();
      return undefined;
    });
    readiness.register('revocation', () => revocation.problem());
    const consequences = createConsequences();
    consequences.add('portal-sessions', async ({ userId }) => {
      await endUserSessions(db, userId, 'revoked');
    });
    return {
      config,
      log,
      db,
      keys,
      masterKey: master.key,
      metrics,
      readiness,
      connectors,
      revocation,
      consequences,
      access,
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
