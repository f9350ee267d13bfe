/** A signed-in browser: what the portal and the protocol front doors (OIDC, SAML) rely on. */
export type PortalSession = {
  id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  /** When the person last proved who they are (OIDC `auth_time`). */
  authTime: Date;
  /** RFC 8176 values: `pwd`, `otp`, `mfa` (see assurance.ts). */
  amr: string[];
  /** `urn:gatehouse:acr:pwd` or `urn:gatehouse:acr:mfa` (see assurance.ts). */
  acr: string;
  /** Whether a second factor was used. */
  mfa: boolean;
  userAgent?: string;
  ip?: string;
};

/** Milliseconds: without use for `idle`, or since sign-in for `absolute`, a session ends. */
export interface SessionLimits {
  idle: number;
  absolute: number;
}

/** Why a session ended (in the audit log). */
export type SessionEndReason =
  | 'signout'
  | 'ended_by_user'
  | 'idle'
  | 'absolute'
  | 'user_inactive'
  | 'replaced'
  | 'logout'
  | 'revoked'
  | (string & {});
