// SigV4 signing keys: four chained HMACs per (secret, day, region, service). A key is
// valid for a whole day, so the verifier caches it, in a bounded cache (bounded-cache.ts).
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { createBoundedCache } from './bounded-cache.ts';

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
  const cache = createBoundedCache<KeyObject>(maxEntries);
  return {
    get(secret, date, region, service) {
      // Region and service are checked to be free of '\n' before they get here, so the key is unambiguous.
      const id = secret + '\n' + date + '\n' + region + '\n' + service;
      let key = cache.get(id);
      if (key === undefined) {
        key = createSecretKey(deriveSigningKey(secret, date, region, service));
        cache.set(id, key);
      }
      return key;
    },
    get size() {
      return cache.size;
    },
  };
}
