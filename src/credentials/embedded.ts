// The verifier as a library, for a Node service that wants decisions without a network call
// (package export `gatehouse/verifier`). It needs what a Gatehouse node needs to verify: the
// sealing keys (read from the database's key ring and opened with the master key), the revocation
// set and the compiled permission sets, all kept current by NOTIFY and timers exactly as on a node.
// So the service gets the same database URL (a read-only role suffices: it only reads keys,
// users' valid_after, access tables and domain events) and the same master key as the nodes.
// Services that must not hold the master key use POST /api/v1/authorize instead.
import { type AccessNode, startAccess } from '../access/node.ts';
import { KEYS_CHANNEL, openKeyRing } from '../keys/keyring.ts';
import { createLogger, type Logger } from '../log.ts';
import { startRevocation } from '../revocation/node.ts';
import type { Db } from '../store/db.ts';
import { openPostgres } from '../store/postgres.ts';
import type { AccessVerifier } from './verifier.ts';

export type {
  AccessDecision,
  AccessPrincipal,
  AccessVerifier,
  AuthorizeResult,
  DecisionInput,
  SigV4Failure,
  SigV4Request,
} from './verifier.ts';

export interface EmbeddedVerifierOptions {
  /** `postgres://…` of the Gatehouse database (or `db`, an already opened one). */
  databaseUrl?: string;
  db?: Db;
  /** The nodes' master key: 32 bytes, or their base64 / hex text. */
  masterKey: Buffer | string;
  log?: Logger;
  /** Defaults as on a node: reconcile every 5 s, fail closed after 30 s, 13 h window. */
  revocation?: { reconcileInterval?: number; staleAfter?: number; window?: number };
}

export interface EmbeddedVerifier extends AccessVerifier {
  close(): Promise<void>;
}

function masterKeyBytes(key: Buffer | string): Buffer {
  if (Buffer.isBuffer(key)) return key;
  const text = key.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (bytes.length !== 32) throw new Error('masterKey must be 32 bytes (base64 or hex)');
  return bytes;
}

export async function openVerifier(options: EmbeddedVerifierOptions): Promise<EmbeddedVerifier> {
  const log = options.log ?? createLogger('warn');
  const ownDb = options.db
    ? undefined
    : await openPostgres({
        url: options.databaseUrl ?? '',
        poolSize: 4,
        connectTimeout: 5_000,
        statementTimeout: 30_000,
      });
  const db = options.db ?? ownDb!;
  const closers: (() => Promise<void> | void)[] = ownDb ? [() => ownDb.close()] : [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn();
  };
  try {
    const keys = await openKeyRing(db, masterKeyBytes(options.masterKey));
    const reload = () =>
      keys.reload().catch((error: unknown) => log.warn({ err: String(error) }, 'key reload failed'));
    closers.push(await db.listen(KEYS_CHANNEL, () => void reload()));
    const timer = setInterval(reload, 60_000).unref();
    closers.push(() => clearInterval(timer));
    const settings = {
      reconcileInterval: 5_000,
      staleAfter: 30_000,
      window: 13 * 3_600_000,
      ...options.revocation,
    };
    const revocation = await startRevocation(db, settings, log);
    closers.push(() => revocation.close());
    const access: AccessNode = await startAccess(
      db,
      keys,
      revocation,
      { window: settings.window, interval: settings.reconcileInterval },
      log,
    );
    closers.push(() => access.close());
    return {
      authenticate: access.verifier.authenticate,
      authorize: access.verifier.authorize,
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
