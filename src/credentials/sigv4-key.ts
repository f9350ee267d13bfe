// SigV4 signing keys: four chained HMACs per (secret, day, region, service). A key is
// valid for a whole day, so the verifier caches it; the cache is LRU and bounded so
// that callers choosing odd regions or services cannot grow it without limit.
import { createHmac } from 'node:crypto';

export function hmacSha256(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmacSha256('AWS4' + secret, date);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  return hmacSha256(kService, 'aws4_request');
}

export interface SigningKeyCache {
  get(secret: string, date: string, region: string, service: string): Buffer;
  readonly size: number;
}

export function createSigningKeyCache(maxEntries = 4096): SigningKeyCache {
  const entries = new Map<string, Buffer>();
  return {
    get(secret, date, region, service) {
      // Region and service are checked to be free of '\n' before they get here, so the key is unambiguous.
      const id = secret + '\n' + date + '\n' + region + '\n' + service;
      let key = entries.get(id);
      if (key !== undefined) {
        // Re-insert to mark it most recently used (Map keeps insertion order).
        entries.delete(id);
        entries.set(id, key);
        return key;
      }
      key = deriveSigningKey(secret, date, region, service);
      entries.set(id, key);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return key;
    },
    get size() {
      return entries.size;
    },
  };
}
