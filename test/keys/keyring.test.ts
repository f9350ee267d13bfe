import { createHash, randomBytes, sign, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkMasterKey, ensureKeys, openKeyRing, rotateKeys } from '../../src/keys/keyring.ts';
import { decodeMasterKey } from '../../src/keys/master-key.ts';
import { deriveKey, seal, unseal } from '../../src/keys/seal.ts';
import { thumbprint } from '../../src/keys/thumbprint.ts';
import type { Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { backends } from '../support/backends.ts';

test('seal/unseal round-trips and refuses tampering, other keys and other associated data', () => {
  const key = randomBytes(32);
  const sealed = seal(key, Buffer.from('private key material'), 'kid-1');
  expect(unseal(key, sealed, 'kid-1')?.toString()).toBe('private key material');
  expect(unseal(randomBytes(32), sealed, 'kid-1')).toBeUndefined();
  expect(unseal(key, sealed, 'kid-2')).toBeUndefined();
  const [v, n, body] = sealed.split('.');
  const flipped = Buffer.from(body!, 'base64url');
  flipped[0]! ^= 1;
  expect(unseal(key, `${v}.${n}.${flipped.toString('base64url')}`, 'kid-1')).toBeUndefined();
  expect(unseal(key, 'garbage', 'kid-1')).toBeUndefined();
  expect(deriveKey(key, 'a')).not.toEqual(deriveKey(key, 'b'));
});

test('master keys are accepted as base64, base64url or hex of exactly 32 bytes', () => {
  const raw = randomBytes(32);
  expect(decodeMasterKey(raw.toString('base64'))).toEqual(raw);
  expect(decodeMasterKey(raw.toString('base64url'))).toEqual(raw);
  expect(decodeMasterKey(raw.toString('hex'))).toEqual(raw);
  expect(decodeMasterKey(randomBytes(16).toString('base64'))).toBeUndefined();
  expect(decodeMasterKey('correct horse battery staple')).toBeUndefined();
});

test('JWK thumbprint matches the RFC 7638 example', () => {
  const jwk = {
    kty: 'RSA',
    e: 'AQAB',
    n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  };
  expect(thumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
});

describe.each(backends)('key ring on $name', (backend) => {
  let db: Db;
  let close: () => Promise<void>;
  const master = randomBytes(32);
  beforeAll(async () => {
    ({ db, close } = await backend.open());
    await migrate(db);
  });
  afterAll(() => close());

  test('first start creates one key of every algorithm, once', async () => {
    expect(await ensureKeys(db, master)).toHaveLength(4);
    expect(await ensureKeys(db, master)).toEqual([]);
    const { rows } = await db.query<{ alg: string; sealed_secret: string }>(
      'select alg, sealed_secret from keys',
    );
    expect(rows.map((r) => r.alg).sort()).toEqual(['A256GCM', 'ES256', 'EdDSA', 'RS256']);
    // Private material is stored sealed, never as a JWK or PEM.
    for (const row of rows) expect(row.sealed_secret).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
  });

  test('the key ring signs with the active key and publishes public keys only', async () => {
    const ring = await openKeyRing(db, master);
    for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
      const key = ring.signingKey(alg);
      const data = Buffer.from('payload');
      const digest = alg === 'EdDSA' ? null : 'sha256';
      const signature = sign(digest, data, key.privateKey);
      expect(verify(digest, data, key.publicKey, signature)).toBe(true);
      expect(key.kid).toBe(thumbprint(key.publicJwk));
    }
    const jwks = ring.jwks();
    expect(jwks.keys).toHaveLength(3);
    for (const jwk of jwks.keys) {
      expect(jwk).not.toHaveProperty('d');
      expect(jwk.use).toBe('sig');
    }
    expect(ring.sealingKey().key).toHaveLength(32);
  });

  test('rotation: the new key signs, the old one verifies until the overlap ends', async () => {
    let now = Date.now();
    const ring = await openKeyRing(db, master, () => now);
    const before = ring.signingKey('ES256').kid;
    const sealBefore = ring.sealingKey().kid;
    await rotateKeys(db, master, { overlapMs: 60_000 });
    await ring.reload();
    now = Date.now();
    const after = ring.signingKey('ES256').kid;
    expect(after).not.toBe(before);
    expect(ring.verificationKeys('ES256').map((k) => k.kid)).toEqual([after, before]);
    expect(ring.sealingKeyById(sealBefore)).toBeDefined();
    now += 61_000;
    expect(ring.verificationKeys('ES256').map((k) => k.kid)).toEqual([after]);
    expect(ring.sealingKeyById(sealBefore)).toBeUndefined();
  });

  test('a staged key is published ahead of time and signs only once active', async () => {
    let now = Date.now();
    const ring = await openKeyRing(db, master, () => now);
    const current = ring.signingKey('RS256').kid;
    const [staged] = await rotateKeys(db, master, {
      overlapMs: 3_600_000,
      activateInMs: 60_000,
      algs: ['RS256'],
    });
    await ring.reload();
    expect(ring.signingKey('RS256').kid).toBe(current);
    expect(ring.jwks().keys.map((k) => k.kid)).toContain(staged!.kid);
    now += 61_000;
    expect(ring.signingKey('RS256').kid).toBe(staged!.kid);
  });

  test('a wrong master key is refused before anything is read or written', async () => {
    const snapshot = async () =>
      createHash('sha256')
        .update(JSON.stringify((await db.query('select * from keys order by kid')).rows))
        .digest('hex');
    const before = await snapshot();
    const wrong = randomBytes(32);
    await expect(checkMasterKey(db, wrong)).rejects.toThrow(/master key does not match/);
    await expect(ensureKeys(db, wrong)).rejects.toThrow(/master key does not match/);
    await expect(rotateKeys(db, wrong, { overlapMs: 1 })).rejects.toThrow(/master key does not match/);
    expect(await snapshot()).toBe(before);
  });
});
