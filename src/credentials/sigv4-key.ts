// SigV4 signing keys: four chained HMACs per (secret, day, region, service). A key is
// valid for a whole day, so the verifier caches it; the cache is LRU and bounded so
// that callers choosing odd regions or services cannot grow it without limit.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

// Node prepares a Buffer HMAC key anew on every call, which costs several times the HMAC
// itself; a KeyObject is prepared once.
export function hmacSha256(key: string | Uint8Array | KeyObject, data: string): Buffer {
  const prepared = typeof key === 'string' || 'type' in key ? key : createSecretKey(key);
  return createHmac('sha256', prepared).update(data, 'utf8').digest();
}

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmacSha256('AWS4' + secret, date);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  return hmacSha256(kService, 'aws4_request');
}

export interface SigningKeyCache {
  get(secret: string, date: string, region: string, service: string): KeyObject;
  readonly size: number;
}

export function createSigningKeyCache(maxEntries = 10_000): SigningKeyCache {
  // Two generations approximate LRU without touching the map on every hit: keys used since
  // the last turnover live in `young`; at turnover the unused ones in `old` are dropped.
  const half = Math.max(1, Math.floor(maxEntries / 2));
  let young = new Map<string, KeyObject>();
  let old = new Map<string, KeyObject>();
  return {
    get(secret, date, region, service) {
      // Region and service are checked to be free of '\n' before they get here, so the key is unambiguous.
      const id = secret + '\n' + date + '\n' + region + '\n' + service;
      let key = young.get(id);
      if (key !== undefined) return key;
      key = old.get(id) ?? createSecretKey(deriveSigningKey(secret, date, region, service));
      if (young.size >= half) {
        old = young;
        young = new Map();
      }
      young.set(id, key);
      return key;
    },
    get size() {
      let n = young.size;
      for (const id of old.keys()) if (!young.has(id)) n++;
      return n;
    },
  };
}
