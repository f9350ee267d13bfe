/**
 * Token buckets per key (a SCIM token, a client address): each key may make `rate` requests per
 * second on average, in bursts of up to `burst`. In memory, per node (a sender talking to N nodes
 * gets N times the rate: the point is to stop a runaway sender from starving the node or filling
 * a table, not an exact global quota).
 */
export interface RateLimiter {
  /** Takes `cost` tokens; undefined when allowed, else the seconds to wait before retrying. */
  take(key: string, cost?: number): number | undefined;
}

/** Idle buckets are forgotten beyond this many keys (full buckets carry no state worth keeping). */
const MAX_KEYS = 10_000;

export function tokenBuckets(options: { rate: number; burst: number; now?: () => number }): RateLimiter {
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, cost = 1) {
      const t = now();
      const want = Math.min(cost, options.burst);
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= MAX_KEYS) {
          for (const [k, b] of buckets)
            if (b.tokens + ((t - b.at) / 1000) * options.rate >= options.burst) buckets.delete(k);
        }
        bucket = { tokens: options.burst, at: t };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((t - bucket.at) / 1000) * options.rate);
      bucket.at = t;
      if (bucket.tokens >= want) {
        bucket.tokens -= want;
        return undefined;
      }
      return Math.max(1, Math.ceil((want - bucket.tokens) / options.rate));
    },
  };
}
