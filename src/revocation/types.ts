/**
 * What a credential, token or session carries that revocation can judge without a database read.
 * Every field but `userId` and `issuedAt` is optional: a portal session has no account, a credential
 * has all of them.
 */
export interface RevocationSubject {
  userId: string;
  /** When the thing being checked was issued (epoch milliseconds). */
  issuedAt: number;
  /** Portal session, OIDC grant or credential session id. */
  sessionId?: string;
  accountId?: string;
  permissionSetId?: string;
  permissionSetVersion?: number;
}

/** Why something is no longer valid; `stale` means this node cannot tell and fails closed. */
export type RevocationReason = 'user' | 'session' | 'assignment' | 'permission_set' | 'stale';

/** The in-memory view each node keeps current (LISTEN/NOTIFY plus a reconcile timer). */
export interface RevocationView {
  /** undefined = still valid. Synchronous: called on every credential use. */
  check(subject: RevocationSubject): RevocationReason | undefined;
}
