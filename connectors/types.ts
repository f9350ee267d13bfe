// Connector contracts: small capability interfaces over plain values (Dex style).
// Connectors translate a remote directory into these shapes; business rules (what to do with a
// disabled user, how much deprovisioning is plausible) live in the domain.

/** A user as the directory describes it. */
export interface User {
  /** Stable id that survives renames and moves (AD objectGUID as canonical GUID, OpenLDAP entryUUID). */
  externalId: string;
  userName: string;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  emails: string[];
  /** Extra attributes named by the connector's attribute mapping. */
  attributes: Record<string, string[]>;
  /** The directory says this account is disabled: it matches disabledFilter (AD default: ACCOUNTDISABLE bit). */
  disabled: boolean;
  dn: string;
}

/** A group the user belongs to (directly or through nested groups). */
export interface GroupRef {
  externalId: string;
  name: string;
  dn: string;
}

/** A user at sign-in or re-check time, with its groups transitively expanded. */
export interface Identity extends User {
  groups: GroupRef[];
}

export interface Group {
  externalId: string;
  name: string;
  dn: string;
  description: string | null;
  /** externalIds of direct member users that fall inside the user search. */
  members: string[];
  /** externalIds of direct member groups that fall inside the group search (nesting; may contain cycles). */
  memberGroups: string[];
  /** Member values that resolve to no synced user or group (out of scope, dangling); informational. */
  unresolvedMembers: number;
}

export type LoginFailure =
  /** Wrong password, unknown user or ambiguous username: deliberately one value. */
  | 'invalid_credentials'
  | 'disabled'
  /** Locked out after failed attempts. OpenLDAP's ppolicy says so whatever the password was. */
  | 'locked'
  | 'expired'
  | 'must_change'
  /** The directory refuses this account here or now (AD logon hours / workstations). */
  | 'not_permitted'
  /** No directory server could be used; `message` says why. */
  | 'unavailable';

export type LoginResult =
  | { ok: true; identity: Identity }
  /** `message` is a diagnostic for logs and audit, never for the person signing in. */
  | { ok: false; reason: LoginFailure; message: string };

export interface PasswordConnector {
  login(username: string, password: string): Promise<LoginResult>;
}

export type CheckResult =
  | { status: 'active'; identity: Identity }
  | { status: 'disabled'; identity: Identity }
  /** No entry with this externalId inside the user search any more. */
  | { status: 'gone' }
  | { status: 'unavailable'; message: string };

export interface RefreshConnector {
  /** Re-reads the user by externalId (so renames and moves are followed). */
  check(externalId: string): Promise<CheckResult>;
}

/** Opaque resume point for incremental sync; store it as text, hand it back unchanged. */
export type HighWaterMark = string;

export type SyncIncompleteReason =
  /** The server stopped returning entries (size/admin limit, paging refused). */
  | 'size_limit'
  | 'unavailable'
  /** The high-water mark is unusable here (other server, other dialect): run a full sync. */
  | 'resync_required'
  | 'error';

export type SyncEnd =
  | { kind: 'end'; complete: true; highWaterMark: HighWaterMark; users: number; groups: number }
  | {
      kind: 'end';
      complete: false;
      reason: SyncIncompleteReason;
      message: string;
      users: number;
      groups: number;
    };

/**
 * What a sync stream yields: batches (at most one page each), then exactly one `end`.
 * Only `end` with `complete: true` proves the stream covered everything it was asked for; a stream that
 * stops without it, or ends incomplete, must not be used to remove anything.
 */
export type SyncItem = { kind: 'users'; users: User[] } | { kind: 'groups'; groups: Group[] } | SyncEnd;

export interface FullSyncConnector {
  /**
   * Every user and group in scope, users first. `end.highWaterMark` is taken before enumeration starts,
   * so an incremental sync from it sees every change made during the enumeration.
   */
  fullSync(): AsyncIterable<SyncItem>;
}

export interface IncrementalSyncConnector {
  /**
   * Users and groups created or changed since the mark (changes are re-delivered at the edges: apply
   * them idempotently). Deletions are not reported: a periodic full sync finds them.
   */
  changesSince(highWaterMark: HighWaterMark): AsyncIterable<SyncItem>;
}

/** A connector offers whichever capabilities its directory supports. */
export interface Connector {
  id: string;
  type: string;
  password?: PasswordConnector;
  refresh?: RefreshConnector;
  fullSync?: FullSyncConnector;
  incrementalSync?: IncrementalSyncConnector;
  /** Settings the domain applies around this connector's syncs. */
  syncPolicy: { incrementalMs: number; fullMs: number; maxDeprovisionPercent: number };
  close(): Promise<void>;
}
