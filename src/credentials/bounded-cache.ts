// A bounded map for the verifier's hot caches (opened session tokens, SigV4 signing keys). Two
// generations approximate an LRU without touching the map on every hit: entries used since the
// last turnover live in `young`; at turnover the ones still only in `old` are dropped. So at most
// `maxEntries` are held, and callers choosing odd keys cannot grow it without limit.

export interface BoundedCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  /** Distinct keys held. */
  readonly size: number;
}

export function createBoundedCache<V>(maxEntries: number): BoundedCache<V> {
  const half = Math.max(1, Math.floor(maxEntries / 2));
  let young = new Map<string, V>();
  let old = new Map<string, V>();
  const set = (key: string, value: V): void => {
    if (young.size >= half) {
      old = young;
      young = new Map();
    }
    young.set(key, value);
  };
  return {
    get(key) {
      const hit = young.get(key);
      if (hit !== undefined) return hit;
      const aged = old.get(key);
      if (aged !== undefined) set(key, aged);
      return aged;
    },
    set,
    get size() {
      let n = young.size;
      for (const key of old.keys()) if (!young.has(key)) n++;
      return n;
    },
  };
}
