import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { verifyJwt } from '../../src/keys/jwt.ts';
import { ensureKeys, openKeyRing, type SigningAlg } from '../../src/keys/keyring.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';
import { codeOf } from '../support/errors.ts';

const ISSUER = 'https://id.example.com/oidc';
const code = (fn: () => unknown) => codeOf(Promise.resolve().then(fn));
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('verifyJwt: tokens Gatehouse signed with its key ring', () => {
  const database = useDb(backends[0]!);
  const master = randomBytes(32);
  const ring = async () => {
    await ensureKeys(database.db, master);
    return openKeyRing(database.db, master);
  };
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, sub: 'u-1', aud: 'cli', iat: now, exp: now + 300 };

  function signWith(
    alg: SigningAlg,
    key: { kid: string; privateKey: import('node:crypto').KeyObject },
    body: object,
  ) {
    const input = `${b64({ alg, kid: key.kid })}.${b64(body)}`;
    const signature =
      alg === 'ES256'
        ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
        : sign(alg === 'RS256' ? 'sha256' : null, Buffer.from(input), key.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }

  test('ES256, RS256 and EdDSA tokens of the ring verify; the claims come back', async () => {
    const keys = await ring();
    for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
      expect(verifyJwt(keys, signWith(alg, keys.signingKey(alg), claims), ISSUER)).toMatchObject({
        sub: 'u-1',
      });
    }
  });

  test('refused: none, HMAC with the public key, a key of another algorithm, another key, issuer, expiry', async () => {
    const keys = await ring();
    const es = keys.signingKey('ES256');
    const input = (alg: string) => `${b64({ alg, kid: es.kid })}.${b64(claims)}`;
    expect(await code(() => verifyJwt(keys, `${input('none')}.`, ISSUER))).toBe('jwt.invalid');
    const hmac = createHmac('sha256', JSON.stringify(es.publicJwk))
      .update(input('HS256'))
      .digest('base64url');
    expect(await code(() => verifyJwt(keys, `${input('HS256')}.${hmac}`, ISSUER))).toBe('jwt.invalid');
    // RS256 header naming the ES256 key id.
    const rs = keys.signingKey('RS256');
    expect(
      await code(() =>
        verifyJwt(keys, signWith('RS256', { kid: es.kid, privateKey: rs.privateKey }, claims), ISSUER),
      ),
    ).toBe('jwt.invalid');
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect(
      await code(() =>
        verifyJwt(keys, signWith('ES256', { kid: es.kid, privateKey: stranger }, claims), ISSUER),
      ),
    ).toBe('jwt.invalid');
    expect(
      await code(() => verifyJwt(keys, signWith('ES256', es, { ...claims, iss: 'https://evil' }), ISSUER)),
    ).toBe('jwt.invalid');
    expect(
      await code(() => verifyJwt(keys, signWith('ES256', es, { ...claims, exp: now - 120 }), ISSUER)),
    ).toBe('jwt.expired');
    expect(
      await code(() => verifyJwt(keys, signWith('ES256', es, { ...claims, nbf: now + 600 }), ISSUER)),
    ).toBe('jwt.invalid');
    expect(await code(() => verifyJwt(keys, 'a.b', ISSUER))).toBe('jwt.invalid');
    expect(await code(() => verifyJwt(keys, `${'x'.repeat(20_000)}.a.b`, ISSUER))).toBe('jwt.invalid');
  });
});
