import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  type webcrypto,
} from 'node:crypto';
import { promisify } from 'node:util';
import { GatehouseError } from '../errors.ts';
import { type Db, notify, type Queryable } from '../store/db.ts';
import { deriveKey, seal, unseal } from './seal.ts';
import { thumbprint } from './thumbprint.ts';

type JsonWebKey = webcrypto.JsonWebKey;

export type SigningAlg = 'ES256' | 'RS256' | 'EdDSA';
export const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'RS256', 'EdDSA'];
const ALL_ALGS = [...SIGNING_ALGS, 'A256GCM'] as const;
type Alg = (typeof ALL_ALGS)[number];

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JsonWebKey & { kid: string; alg: string; use: 'sig' };
  activatesAt: Date;
  retiresAt: Date | null;
}

export interface SealingKey {
  kid: string;
  key: Buffer;
  activatesAt: Date;
  retiresAt: Date | null;
}

export interface KeyRing {
  /** The key that signs now: the newest active key of that algorithm. */
  signingKey(alg: SigningAlg): SigningKey;
  /** Keys that verify: active, staged (published ahead of activation) and retiring. */
  verificationKeys(alg?: SigningAlg): SigningKey[];
  jwks(): { keys: SigningKey['publicJwk'][] };
  sealingKey(): SealingKey;
  sealingKeyById(kid: string): SealingKey | undefined;
  reload(): Promise<void>;
}

export const KEYS_CHANNEL = 'gatehouse_keys';
const CHECK_TEXT = 'gatehouse key ring';
const generate = promisify(generateKeyPair);

interface KeyRow {
  kid: string;
  alg: Alg;
  sealed_secret: string;
  public_jwk: (JsonWebKey & { kid: string }) | null;
  activates_at: Date;
  retires_at: Date | null;
}

/** The key that encrypts key material at rest is derived from the master key, never the master key itself. */
const wrappingKey = (master: Buffer) => deriveKey(master, 'keyring-v1');

/**
 * Fails start-up when the master key is not the one this database was set up with, before
 * anything is written. Returns false when the database has no key ring yet.
 */
export async function checkMasterKey(db: Queryable, master: Buffer): Promise<boolean> {
  const table = await db.query<{ present: boolean }>(
    "select to_regclass('keyring_check') is not null as present",
  );
  if (!table.rows[0]?.present) return false;
  const { rows } = await db.query<{ sealed: string }>('select sealed from keyring_check');
  if (!rows[0]) return false;
  const opened = unseal(wrappingKey(master), rows[0].sealed, 'keyring_check');
  if (opened?.toString() !== CHECK_TEXT) {
    throw new GatehouseError(
      'invalid',
      'keys.wrong_master_key',
      'master key does not match the key ring in the database; supply the master key this database was initialised with (GATEHOUSE_MASTER_KEY or its _FILE)',
    );
  }
  return true;
}

async function newKeyRow(alg: Alg, master: Buffer): Promise<Omit<KeyRow, 'activates_at' | 'retires_at'>> {
  if (alg === 'A256GCM') {
    const kid = `seal-${randomBytes(9).toString('base64url')}`;
    return { kid, alg, public_jwk: null, sealed_secret: seal(wrappingKey(master), randomBytes(32), kid) };
  }
  const pair =
    alg === 'ES256'
      ? await generate('ec', { namedCurve: 'P-256' })
      : alg === 'RS256'
        ? await generate('rsa', { modulusLength: 2048 })
        : await generate('ed25519');
  const publicJwk = pair.publicKey.export({ format: 'jwk' });
  const kid = thumbprint(publicJwk);
  const privateJwk = JSON.stringify(pair.privateKey.export({ format: 'jwk' }));
  return {
    kid,
    alg,
    public_jwk: { ...publicJwk, kid },
    sealed_secret: seal(wrappingKey(master), Buffer.from(privateJwk), kid),
  };
}

async function insertKey(
  q: Queryable,
  row: Omit<KeyRow, 'activates_at' | 'retires_at'>,
  activatesAt: Date,
): Promise<void> {
  await q.query(
    `insert into keys (kid, use, alg, public_jwk, sealed_secret, activates_at) values ($1, $2, $3, $4, $5, $6)`,
    [
      row.kid,
      row.alg === 'A256GCM' ? 'seal' : 'sig',
      row.alg,
      row.public_jwk,
      row.sealed_secret,
      activatesAt,
    ],
  );
}

/** First start: records the master-key check value and a key of every algorithm. Idempotent. */
export async function ensureKeys(db: Db, master: Buffer): Promise<string[]> {
  return db.withLock('gatehouse:keyring', async () => {
    if (!(await checkMasterKey(db, master))) {
      await db.query('insert into keyring_check (sealed) values ($1) on conflict do nothing', [
        seal(wrappingKey(master), Buffer.from(CHECK_TEXT), 'keyring_check'),
      ]);
      await checkMasterKey(db, master);
    }
    const { rows } = await db.query<{ alg: Alg }>('select distinct alg from keys where retires_at is null');
    const present = new Set(rows.map((r) => r.alg));
    const missing = ALL_ALGS.filter((alg) => !present.has(alg));
    const created = await Promise.all(missing.map((alg) => newKeyRow(alg, master)));
    await db.transaction(async (tx) => {
      for (const row of created) await insertKey(tx, row, new Date(0));
      if (created.length) await notify(tx, KEYS_CHANNEL, 'created');
    });
    return created.map((r) => r.kid);
  });
}

export interface RotateOptions {
  /** How long every key being replaced keeps verifying after the new one takes over. */
  overlapMs: number;
  /** Publish the new keys now, sign with them only after this delay (0: at once). */
  activateInMs?: number;
  algs?: readonly Alg[];
}

/** Adds a new key of each algorithm; the keys it replaces retire after the overlap. */
export async function rotateKeys(
  db: Db,
  master: Buffer,
  options: RotateOptions,
): Promise<{ kid: string; alg: Alg; activatesAt: Date }[]> {
  await checkMasterKey(db, master);
  const algs = options.algs ?? ALL_ALGS;
  const created = await Promise.all(algs.map((alg) => newKeyRow(alg, master)));
  const activatesAt = new Date(Date.now() + (options.activateInMs ?? 0));
  const retiresAt = new Date(activatesAt.getTime() + options.overlapMs);
  await db.withLock('gatehouse:keyring', () =>
    db.transaction(async (tx) => {
      await tx.query('update keys set retires_at = $1 where retires_at is null and alg = any($2::text[])', [
        retiresAt,
        algs,
      ]);
      for (const row of created) await insertKey(tx, row, activatesAt);
      // Keys long retired are removed: their private material should not outlive its use.
      await tx.query("delete from keys where retires_at < now() - interval '30 days'");
      await notify(tx, KEYS_CHANNEL, 'rotated');
    }),
  );
  return created.map((r) => ({ kid: r.kid, alg: r.alg, activatesAt }));
}

/** Loads the key ring into memory; `reload` is called on NOTIFY and on a timer. */
export async function openKeyRing(
  db: Queryable,
  master: Buffer,
  now: () => number = Date.now,
): Promise<KeyRing> {
  const wrap = wrappingKey(master);
  let signing: SigningKey[] = [];
  let sealing: SealingKey[] = [];

  async function reload(): Promise<void> {
    const { rows } = await db.query<KeyRow>(
      `select kid, alg, sealed_secret, public_jwk, activates_at, retires_at from keys
       where retires_at is null or retires_at > now() order by activates_at desc, created_at desc`,
    );
    const nextSigning: SigningKey[] = [];
    const nextSealing: SealingKey[] = [];
    for (const row of rows) {
      const secret = unseal(wrap, row.sealed_secret, row.kid);
      if (!secret)
        throw new GatehouseError(
          'invalid',
          'keys.unreadable',
          `key ${row.kid} cannot be decrypted with this master key`,
        );
      if (row.alg === 'A256GCM') {
        nextSealing.push({
          kid: row.kid,
          key: secret,
          activatesAt: row.activates_at,
          retiresAt: row.retires_at,
        });
        continue;
      }
      const privateKey = createPrivateKey({ key: JSON.parse(secret.toString()), format: 'jwk' });
      const { kid: _kid, ...jwk } = row.public_jwk!;
      nextSigning.push({
        kid: row.kid,
        alg: row.alg,
        privateKey,
        publicKey: createPublicKey(privateKey),
        publicJwk: { ...jwk, kid: row.kid, alg: row.alg, use: 'sig' },
        activatesAt: row.activates_at,
        retiresAt: row.retires_at,
      });
    }
    signing = nextSigning;
    sealing = nextSealing;
  }

  const live = <K extends { activatesAt: Date; retiresAt: Date | null }>(key: K) =>
    key.retiresAt === null || key.retiresAt.getTime() > now();
  const current = <K extends { activatesAt: Date; retiresAt: Date | null }>(keys: K[], what: string): K => {
    // Keys are ordered newest first: the first one already active signs.
    const key = keys.find((k) => k.activatesAt.getTime() <= now() && live(k));
    if (!key) throw new GatehouseError('unavailable', 'keys.none_active', `no active ${what} key`);
    return key;
  };

  await reload();
  return {
    signingKey: (alg) =>
      current(
        signing.filter((k) => k.alg === alg),
        alg,
      ),
    verificationKeys: (alg) => signing.filter((k) => (!alg || k.alg === alg) && live(k)),
    jwks: () => ({ keys: signing.filter(live).map((k) => k.publicJwk) }),
    sealingKey: () => current(sealing, 'sealing'),
    sealingKeyById: (kid) => sealing.find((k) => k.kid === kid && live(k)),
    reload,
  };
}
