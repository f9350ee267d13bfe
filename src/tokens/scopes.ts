import { z } from 'zod';

/**
 * What a bearer of an admin API credential may do. `admin` implies every other scope; the others
 * imply nothing (a `directory:write` token cannot read the audit log, nor list users).
 */
export const SCOPES = [
  'directory:read',
  'directory:write',
  'access:read',
  'access:write',
  'audit:read',
  'authorize',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

export const scopeSchema = z.enum(SCOPES);

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'directory:read': 'read users, groups and memberships',
  'directory:write': 'create, change, disable and remove users, groups and memberships',
  'access:read': 'read accounts, policies, permission sets and assignments; simulate decisions',
  'access:write': 'create, change and remove accounts, policies, permission sets and assignments',
  'audit:read': 'read the audit log',
  authorize: 'ask for decisions on signed requests (POST /api/v1/authorize): for resource services',
  admin: 'everything, including managing API tokens',
};

/** Whether a set of granted scopes allows what `needed` stands for. */
export function hasScope(granted: readonly string[], needed: Scope): boolean {
  return granted.includes(needed) || granted.includes('admin');
}

/**
 * Who is calling, once a bearer credential is verified. `actor` goes into audit entries
 * ('token:<id>' for admin API tokens; other verifiers, e.g. OIDC access tokens, bring their own).
 */
export interface Principal {
  actor: string;
  scopes: readonly string[];
  /** A human-readable label (the token's name), never a secret. */
  name: string;
}

/**
 * Turns a bearer credential into a principal, or undefined when it is not one of its kind or not
 * valid. Verifiers are tried in order; the first principal wins. They must not throw for a
 * credential they do not recognise (only for failures such as an unreachable database).
 */
export type BearerVerifier = (bearer: string) => Promise<Principal | undefined>;
