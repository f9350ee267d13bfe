// The STS-style credential format. Nothing is stored: the session token is the session, sealed
// (AES-256-GCM) under a subkey of the key ring's sealing key, and the secret access key is an
// HMAC of the access key id under another subkey, so any node (or an embedding service) holding
// the sealing keys verifies a credential without a database read.
//
//   AccessKeyId      ASIA + 16 base32 characters (10 random bytes)
//   SecretAccessKey  base64(HMAC-SHA256(K_secret(kid), AccessKeyId)[0..30])  (40 characters)
//   SessionToken     gh1.<kid>.<seal(K_session(kid), JSON claims, aad = "gatehouse:sts:<kid>:<AccessKeyId>")>
//
// K_secret and K_session are HKDF subkeys of the sealing key `kid`; the key id in the token lets
// the ring rotate (old keys keep verifying for the overlap). The associated data binds a token to
// its access key id: a token presented with another key id does not open.
import { createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { deriveKey, seal, unseal } from '../keys/seal.ts';

export interface SessionClaims {
  userId: string;
  userName: string;
  accountId: string;
  permissionSetId: string;
  permissionSetVersion: number;
  sessionId: string;
  /** Epoch milliseconds. */
  issuedAt: number;
  expiresAt: number;
  mfa: boolean;
  sourceIdentity?: string;
  /** The user's attributes at issue time: aws:PrincipalTag/KEY. */
  tags: Record<string, string>;
}

/** What verifies credentials: the key ring, or the sealing keys an embedding service loaded. */
export interface SealingKeySource {
  sealingKey(): { kid: string; key: Buffer };
  sealingKeyById(kid: string): { kid: string; key: Buffer } | undefined;
}

interface Derived {
  session: KeyObject;
  secret: KeyObject;
}

const TOKEN_PREFIX = 'gh1';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const ACCESS_KEY_ID = /^ASIA[A-Z2-7]{16}$/;

/** `ASIA` + 16 base32 characters: 80 random bits. */
export function newAccessKeyId(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = 'ASIA';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** Subkeys per sealing key, derived once (HKDF is not free and keys live for days). */
export function createDerivedKeys(source: SealingKeySource) {
  const cache = new Map<string, { raw: Buffer; derived: Derived }>();
  const derive = (key: { kid: string; key: Buffer }): Derived => {
    const hit = cache.get(key.kid);
    if (hit && hit.raw === key.key) return hit.derived;
    const derived = {
      session: createSecretKey(deriveKey(key.key, 'sts-session-v1')),
      secret: createSecretKey(deriveKey(key.key, 'sts-secret-v1')),
    };
    if (cache.size > 64) cache.clear();
    cache.set(key.kid, { raw: key.key, derived });
    return derived;
  };
  return {
    current: () => {
      const key = source.sealingKey();
      return { kid: key.kid, ...derive(key) };
    },
    byId: (kid: string) => {
      const key = source.sealingKeyById(kid);
      return key && { kid, raw: key.key, ...derive(key) };
    },
  };
}
export type DerivedKeys = ReturnType<typeof createDerivedKeys>;

const aad = (kid: string, accessKeyId: string) => `gatehouse:sts:${kid}:${accessKeyId}`;

export function secretFor(secretKey: KeyObject, accessKeyId: string): string {
  return createHmac('sha256', secretKey).update(accessKeyId).digest().subarray(0, 30).toString('base64');
}

// Short names keep the token small; it travels with every request.
interface Wire {
  u: string;
  n: string;
  a: string;
  p: string;
  v: number;
  s: string;
  i: number;
  e: number;
  m: boolean;
  si?: string;
  t: Record<string, string>;
}

export interface Minted {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  kid: string;
}

export function mintCredentials(keys: DerivedKeys, claims: SessionClaims): Minted {
  const key = keys.current();
  const accessKeyId = newAccessKeyId();
  const wire: Wire = {
    u: claims.userId,
    n: claims.userName,
    a: claims.accountId,
    p: claims.permissionSetId,
    v: claims.permissionSetVersion,
    s: claims.sessionId,
    i: claims.issuedAt,
    e: claims.expiresAt,
    m: claims.mfa,
    t: claims.tags,
  };
  if (claims.sourceIdentity !== undefined) wire.si = claims.sourceIdentity;
  const sealed = seal(key.session, Buffer.from(JSON.stringify(wire)), aad(key.kid, accessKeyId));
  return {
    accessKeyId,
    secretAccessKey: secretFor(key.secret, accessKeyId),
    sessionToken: `${TOKEN_PREFIX}.${key.kid}.${sealed}`,
    kid: key.kid,
  };
}

export type Opened =
  | {
      ok: true;
      claims: SessionClaims;
      secretAccessKey: string;
      kid: string;
      /** The sealing key it opened under, as the key source handed it out. */
      sealingKey: Buffer;
    }
  | { ok: false; reason: 'malformed' | 'unknown_key' | 'not_sealed_here' };

/**
 * Opens a session token presented with an access key id: the claims and the secret the request
 * must have been signed with. Never throws.
 */
export function openSessionToken(keys: DerivedKeys, accessKeyId: string, token: string): Opened {
  if (!ACCESS_KEY_ID.test(accessKeyId) || token.length > 4096) return { ok: false, reason: 'malformed' };
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.slice(0, first) !== TOKEN_PREFIX)
    return { ok: false, reason: 'malformed' };
  const kid = token.slice(first + 1, second);
  const key = keys.byId(kid);
  if (!key) return { ok: false, reason: 'unknown_key' };
  const plain = unseal(key.session, token.slice(second + 1), aad(kid, accessKeyId));
  if (!plain) return { ok: false, reason: 'not_sealed_here' };
  let wire: Wire;
  try {
    wire = JSON.parse(plain.toString('utf8')) as Wire;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const claims: SessionClaims = {
    userId: wire.u,
    userName: wire.n,
    accountId: wire.a,
    permissionSetId: wire.p,
    permissionSetVersion: wire.v,
    sessionId: wire.s,
    issuedAt: wire.i,
    expiresAt: wire.e,
    mfa: wire.m,
    tags: wire.t ?? {},
  };
  if (wire.si !== undefined) claims.sourceIdentity = wire.si;
  return { ok: true, claims, secretAccessKey: secretFor(key.secret, accessKeyId), kid, sealingKey: key.raw };
}
