// The verifier remembers opened session tokens. Whatever it remembers, each use still runs the
// signature, expiry, revocation and sealing-key checks: these tests use a credential once (so it
// is cached), then change the world and use it again.
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createBoundedCache } from '../../src/credentials/bounded-cache.ts';
import { createDerivedKeys, mintCredentials } from '../../src/credentials/session-token.ts';
import { type SigV4Request, signSigV4 } from '../../src/credentials/sigv4.ts';
import { createAccessVerifier } from '../../src/credentials/verifier.ts';
import { compilePolicySet } from '../../src/policy/index.ts';
import { createRevocationState } from '../../src/revocation/state.ts';

// The revocation view judges staleness by the real clock, so the scenario happens now.
const NOW = Date.now();
const SET_ID = '00000000-0000-4000-8000-000000000002';

function world() {
  let sealing: { kid: string; key: Buffer } | undefined = { kid: 'seal-a', key: randomBytes(32) };
  const keys = {
    sealingKey: () => sealing!,
    sealingKeyById: (kid: string) => (sealing?.kid === kid ? sealing : undefined),
  };
  const revocation = createRevocationState({ staleAfter: 60_000, window: 13 * 3_600_000 });
  revocation.reconciled(NOW);
  let now = NOW;
  const entry = {
    id: SET_ID,
    name: 'Developer',
    version: 1,
    sessionDuration: 'PT1H',
    policies: compilePolicySet({
      identity: [
        {
          name: 'inline',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
        },
      ],
    }),
  };
  const verifier = createAccessVerifier({
    keys,
    revocation,
    permissionSets: { get: (id) => (id === SET_ID ? entry : undefined) },
    now: () => now,
    openedCacheSize: 4,
  });
  const mint = (sessionId = 'session-1', userId = 'user-1') =>
    mintCredentials(createDerivedKeys(keys), {
      userId,
      userName: 'alice',
      accountId: '111122223333',
      permissionSetId: SET_ID,
      permissionSetVersion: 1,
      sessionId,
      issuedAt: NOW,
      expiresAt: NOW + 3600_000,
      mfa: true,
      tags: {},
    });
  const request = (c: {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
  }): SigV4Request => {
    const base = {
      method: 'GET',
      path: '/q1.pdf',
      query: '',
      headers: { host: 'reports.s3.eu-west-1.amazonaws.com' } as Record<string, string>,
      body: '',
    };
    const signed = signSigV4(base, {
      credentials: c,
      region: 'eu-west-1',
      service: 's3',
      date: new Date(now),
    });
    return { ...base, query: signed.query, headers: signed.headers };
  };
  const decide = (r: SigV4Request) => {
    const result = verifier.authorize(r, { action: 's3:GetObject', resource: 'arn:aws:s3:::reports/q1.pdf' });
    return result.ok ? (result.allowed ? 'allow' : 'deny') : result.code;
  };
  return {
    keys,
    revocation,
    mint,
    request,
    decide,
    setNow: (at: number) => {
      now = at;
      revocation.reconciled(at);
    },
    retire: () => {
      sealing = undefined;
    },
    replaceKey: (key: Buffer) => {
      sealing = { kid: 'seal-a', key };
    },
  };
}

describe('opened-token cache in the verifier', () => {
  test('a session revoked after its token was cached is refused', () => {
    const w = world();
    const c = w.mint();
    expect(w.decide(w.request(c))).toBe('allow');
    w.revocation.apply({ kind: 'session', sessionId: 'session-1', until: NOW + 3600_000 });
    expect(w.decide(w.request(c))).toBe('InvalidClientTokenId');
  });

  test('a disabled user, a removed assignment and a stale revocation view are refused when cached', () => {
    const w = world();
    const c = w.mint();
    expect(w.decide(w.request(c))).toBe('allow');
    w.revocation.apply({
      kind: 'assignment',
      userId: 'user-1',
      accountId: '111122223333',
      permissionSetId: SET_ID,
      notBefore: NOW + 1,
    });
    expect(w.decide(w.request(c))).toBe('AccessDenied');
    const d = w.mint('session-2', 'user-2');
    expect(w.decide(w.request(d))).toBe('allow');
    w.revocation.apply({ kind: 'user', userId: 'user-2', notBefore: NOW + 1 });
    expect(w.decide(w.request(d))).toBe('InvalidClientTokenId');
    const e = w.mint('session-3', 'user-3');
    expect(w.decide(w.request(e))).toBe('allow');
    w.revocation.reconciled(NOW - 120_000);
    expect(w.decide(w.request(e))).toBe('ServiceUnavailable');
  });

  test('expiry is checked on every use', () => {
    const w = world();
    const c = w.mint();
    expect(w.decide(w.request(c))).toBe('allow');
    w.setNow(NOW + 3600_000);
    expect(w.decide(w.request(c))).toBe('ExpiredToken');
  });

  test('retiring or replacing the sealing key ends cached tokens at once', () => {
    const w = world();
    const c = w.mint();
    expect(w.decide(w.request(c))).toBe('allow');
    w.retire();
    expect(w.decide(w.request(c))).toBe('InvalidClientTokenId');
    // The same key id with other key material (another installation, a restored ring).
    w.replaceKey(randomBytes(32));
    expect(w.decide(w.request(c))).toBe('InvalidClientTokenId');
  });

  test('a cached token presented with another credential is refused', () => {
    const w = world();
    const alice = w.mint();
    const mallory = w.mint('session-9', 'user-9');
    expect(w.decide(w.request(alice))).toBe('allow');
    // Mallory signs correctly with her own key id and secret, but carries Alice's token.
    const stolen = { ...mallory, sessionToken: alice.sessionToken };
    expect(w.decide(w.request(stolen))).toBe('InvalidClientTokenId');
    // And the other way round: Alice's cached key id and secret with another token.
    const swapped = { ...alice, sessionToken: mallory.sessionToken };
    expect(w.decide(w.request(swapped))).toBe('InvalidClientTokenId');
    const garbage = { ...alice, sessionToken: `${alice.sessionToken.slice(0, -4)}AAAA` };
    expect(w.decide(w.request(garbage))).toBe('InvalidClientTokenId');
    expect(w.decide(w.request(alice))).toBe('allow');
  });

  test('a wrong signature is refused with the token cached', () => {
    const w = world();
    const c = w.mint();
    expect(w.decide(w.request(c))).toBe('allow');
    const wrong = { ...c, secretAccessKey: c.secretAccessKey.replace(/^./, (x) => (x === 'A' ? 'B' : 'A')) };
    expect(w.decide(w.request(wrong))).toBe('SignatureDoesNotMatch');
  });

  test('more credentials than the cache holds all still verify', () => {
    const w = world();
    const minted = Array.from({ length: 10 }, (_, i) => w.mint(`session-${i}`));
    for (let round = 0; round < 2; round++)
      for (const c of minted) expect(w.decide(w.request(c))).toBe('allow');
  });
});

describe('bounded cache', () => {
  test('holds at most its size, keeps what is used, drops what is not', () => {
    const cache = createBoundedCache<number>(4);
    for (let i = 0; i < 100; i++) {
      cache.set(`k${i}`, i);
      expect(cache.size).toBeLessThanOrEqual(4);
      // k0 is used all along, so it survives every turnover.
      expect(cache.get('k0')).toBe(0);
    }
    expect(cache.get('k1')).toBeUndefined();
    expect(cache.get('k99')).toBe(99);
  });
});
