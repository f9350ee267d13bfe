import { z } from 'zod';
import type { AuditContext } from '../audit/audit.ts';
import { parseInput } from '../directory/validate.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import {
  type ApiToken,
  type CreatedToken,
  insertToken,
  listTokens,
  revokeToken,
  tokenTarget,
  verifyToken,
} from '../tokens/tokens.ts';

/**
 * SCIM provisioning tokens: admin API token machinery (hashed, shown once, revocable, audited) of
 * kind `scim`. Rules of their own: they always expire (default 90 days, at most a year), and at
 * most two are active at a time, enough to rotate (create the new one, switch the sender, revoke
 * the old one) and no more, so a forgotten token cannot linger beside the one in use.
 */
export const MAX_ACTIVE_SCIM_TOKENS = 2;
export const DEFAULT_SCIM_TOKEN_LIFETIME_MS = 90 * 86_400_000;
export const MAX_SCIM_TOKEN_LIFETIME_MS = 366 * 86_400_000;

export const createScimTokenSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .regex(/^\P{Cc}*$/u, 'must not contain control characters')
    .describe('what the token is for, e.g. "Okta production"'),
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((value) => Date.parse(value) > Date.now(), 'must be in the future')
    .refine(
      (value) => Date.parse(value) <= Date.now() + MAX_SCIM_TOKEN_LIFETIME_MS,
      'must be within a year (SCIM tokens always expire)',
    )
    .optional()
    .describe('when the token stops working; default 90 days from now, at most a year'),
});
export type CreateScimTokenInput = { name: string; expiresAt?: string | Date | undefined };

export async function createScimToken(
  tx: Queryable,
  context: AuditContext,
  input: CreateScimTokenInput,
): Promise<CreatedToken> {
  const data = parseInput(
    createScimTokenSchema,
    input.expiresAt instanceof Date ? { ...input, expiresAt: input.expiresAt.toISOString() } : input,
    'scim.invalid_token_request',
  );
  // Serialise creations so that two concurrent ones cannot both see one active token.
  await tx.query("select pg_advisory_xact_lock(hashtextextended('gatehouse:scim-tokens', 0))");
  const { rows } = await tx.query<{ n: number }>(
    `select count(*)::int as n from api_tokens
     where kind = 'scim' and revoked_at is null and (expires_at is null or expires_at > now())`,
  );
  if (rows[0]!.n >= MAX_ACTIVE_SCIM_TOKENS) {
    throw new GatehouseError(
      'conflict',
      'scim.too_many_tokens',
      `at most ${MAX_ACTIVE_SCIM_TOKENS} SCIM tokens can be active at a time; revoke one first`,
    );
  }
  const expiresAt = data.expiresAt
    ? new Date(data.expiresAt)
    : new Date(Date.now() + DEFAULT_SCIM_TOKEN_LIFETIME_MS);
  return insertToken(tx, context, { kind: 'scim', name: data.name, scopes: [], expiresAt });
}

export const listScimTokens = (q: Queryable): Promise<ApiToken[]> => listTokens(q, 'scim');

export const revokeScimToken = (tx: Queryable, context: AuditContext, id: string): Promise<ApiToken> =>
  revokeToken(tx, context, id, 'scim');

/** The caller of a SCIM request: its audit actor and the token id (the rate limiter's key). */
export interface ScimCaller {
  tokenId: string;
  actor: string;
  name: string;
}

export async function verifyScimToken(q: Queryable, bearer: string): Promise<ScimCaller | undefined> {
  const token = await verifyToken(q, bearer, 'scim');
  return token && { tokenId: token.id, actor: tokenTarget(token.id), name: token.name };
}
