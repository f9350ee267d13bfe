import { createHash } from 'node:crypto';

/**
 * RFC 8628 §3.5 `slow_down` for device-code polling: a client that polls again sooner than the
 * interval it was given is told to slow down (the AWS CLI and SDKs then wait longer). Kept per
 * node in memory: behind a load balancer a client may poll two nodes alternately and escape it,
 * which costs some load, never safety.
 */
export function pollPace(intervalMs: number, now: () => number = Date.now) {
  const last = new Map<string, number>();
  const keyOf = (deviceCode: string) => createHash('sha256').update(deviceCode).digest('base64url');
  const forget = (at: number) => {
    for (const [key, when] of last) if (at - when > 15 * 60_000) last.delete(key);
  };
  return {
    /** True when this poll comes too soon after the previous one (which still counts as a poll). */
    tooSoon(deviceCode: string): boolean {
      const at = now();
      const key = keyOf(deviceCode);
      const previous = last.get(key);
      last.set(key, at);
      if (last.size > 10_000) forget(at);
      return previous !== undefined && at - previous < intervalMs;
    },
  };
}
