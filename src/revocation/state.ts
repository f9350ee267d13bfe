import type { RevocationReason, RevocationView } from './types.ts';

/** One revocation as the tables and notifications describe it. */
export type Revocation =
  /** Everything of the user issued before `notBefore` (their `valid_after`). */
  | { kind: 'user'; userId: string; notBefore: number }
  /** One session (portal, OIDC grant or credential session), whatever its issue time. */
  | { kind: 'session'; sessionId: string; until: number }
  /** Credentials of one user for one account + permission set issued before `notBefore`. */
  | { kind: 'assignment'; userId: string; accountId: string; permissionSetId: string; notBefore: number }
  /** Credentials of a permission set below `minVersion` (it changed or was deleted). */
  | { kind: 'permission_set'; permissionSetId: string; minVersion: number };

export interface RevocationState extends RevocationView {
  apply(revocation: Revocation): void;
  /** Marks the state complete as of now (a successful reconcile); `check` fails closed without it. */
  reconciled(at?: number): void;
  /** Milliseconds since the last successful reconcile (Infinity before the first). */
  age(now?: number): number;
  /** Drops what is older than the window: nothing issued before then is still alive. */
  prune(now?: number): void;
  size(): number;
}

const assignmentKey = (userId: string, accountId: string, permissionSetId: string) =>
  `${userId}\u0000${accountId}\u0000${permissionSetId}`;

/**
 * The in-memory revocation set of one node: plain maps, so a check on every credential use costs a
 * few hash lookups. It only ever moves forward (a later `notBefore` wins), so replaying a
 * notification or a reconcile twice is harmless.
 */
export function createRevocationState(options: { staleAfter: number; window: number }): RevocationState {
  const users = new Map<string, number>();
  const sessions = new Map<string, number>();
  const assignments = new Map<string, number>();
  const permissionSets = new Map<string, number>();
  let reconciledAt = Number.NEGATIVE_INFINITY;

  const raise = (map: Map<string, number>, key: string, value: number) => {
    const current = map.get(key);
    if (current === undefined || value > current) map.set(key, value);
  };

  return {
    apply(r) {
      switch (r.kind) {
        case 'user':
          return raise(users, r.userId, r.notBefore);
        case 'session':
          return raise(sessions, r.sessionId, r.until);
        case 'assignment':
          return raise(assignments, assignmentKey(r.userId, r.accountId, r.permissionSetId), r.notBefore);
        case 'permission_set':
          return raise(permissionSets, r.permissionSetId, r.minVersion);
      }
    },
    check(s): RevocationReason | undefined {
      if (Date.now() - reconciledAt > options.staleAfter) return 'stale';
      const notBefore = users.get(s.userId);
      if (notBefore !== undefined && s.issuedAt < notBefore) return 'user';
      if (s.sessionId !== undefined && sessions.has(s.sessionId)) return 'session';
      if (s.accountId !== undefined && s.permissionSetId !== undefined) {
        const since = assignments.get(assignmentKey(s.userId, s.accountId, s.permissionSetId));
        if (since !== undefined && s.issuedAt < since) return 'assignment';
      }
      if (s.permissionSetId !== undefined && s.permissionSetVersion !== undefined) {
        const min = permissionSets.get(s.permissionSetId);
        if (min !== undefined && s.permissionSetVersion < min) return 'permission_set';
      }
      return undefined;
    },
    reconciled(at = Date.now()) {
      reconciledAt = at;
    },
    age(now = Date.now()) {
      return now - reconciledAt;
    },
    prune(now = Date.now()) {
      const horizon = now - options.window;
      for (const map of [users, assignments]) {
        for (const [key, at] of map) if (at < horizon) map.delete(key);
      }
      for (const [key, until] of sessions) if (until < now) sessions.delete(key);
    },
    size() {
      return users.size + sessions.size + assignments.size + permissionSets.size;
    },
  };
}
