import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type AuditContext, audit } from '../audit/audit.ts';
import { isUuid } from '../directory/users.ts';
import { parseInput } from '../directory/validate.ts';
import { GatehouseError } from '../errors.ts';
import { notify, type Queryable } from '../store/db.ts';
import { type BearerVerifier, SCOPES, type Scope, scopeSchema } from './scopes.ts';

/**
 * API tokens: opaque bearer secrets (a prefix + 32 random bytes, base64url) shown once at
 * creation; only their SHA-256 is stored, so a copy of the database yields no usable token.
 * Two kinds share this machinery: admin API tokens (`ght_`, with scopes) and SCIM provisioning
 * tokens (`ghs_`, no scopes: they are good for /scim/v2 and nothing else). A token of one kind is
 * never accepted as the other.
 */
export type TokenKind = 'admin' | 'scim';
export const TOKEN_PREFIXES: Record<TokenKind, string> = { admin: 'ght_', scim: 'ghs_' };
export const TOKEN_PREFIX = TOKEN_PREFIXES.admin;
const TOKEN_FORMATS: Record<TokenKind, RegExp> = {
  admin: /^ght_[A-Za-z0-9_-]{43}$/,
  scim: /^ghs_[A-Za-z0-9_-]{43}$/,
};
/** Revocations are announced here (payload: the token id), so nodes caching verified tokens forget them. */
export const TOKENS_CHANNEL = 'gatehouse_tokens';
/** last_used_at is written at most this often per token (a busy script must not write on every call). */
const LAST_USED_RESOLUTION = '1 minute';

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export const createTokenSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .regex(/^\P{Cc}*$/u, 'must not contain control characters'),
  scopes: z.array(scopeSchema).min(1).max(SCOPES.length),
  /** When the token stops working; absent or null: never (revoke it instead). */
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((value) => Date.parse(value) > Date.now(), 'must be in the future')
    .nullish(),
});
export type CreateTokenInput = Omit<z.input<typeof createTokenSchema>, 'expiresAt'> & {
  expiresAt?: string | Date | null | undefined;
};

export interface ApiToken {
  id: string;
  kind: TokenKind;
  name: string;
  scopes: Scope[];
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface CreatedToken extends ApiToken {
  /** The secret itself: returned here, once, and never again. */
  token: string;
}

interface TokenRow {
  id: string;
  kind: TokenKind;
  name: string;
  scopes: Scope[];
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS = 'id, kind, name, scopes, created_by, created_at, expires_at, revoked_at, last_used_at';

const toToken = (row: TokenRow): ApiToken => ({
  id: row.id,
  kind: row.kind,
  name: row.name,
  scopes: row.scopes,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
});

export const tokenTarget = (id: string) => `token:${id}`;

const KIND_LABEL: Record<TokenKind, string> = { admin: 'API token', scim: 'SCIM token' };
/** Audit actions: `token.create` for admin API tokens, `scim.token.create` for SCIM tokens. */
const actionOf = (kind: TokenKind, verb: 'create' | 'revoke') =>
  kind === 'admin' ? `token.${verb}` : `${kind}.token.${verb}`;

function notFound(id: string, kind: TokenKind = 'admin'): GatehouseError {
  return new GatehouseError('not_found', 'tokens.not_found', `no ${KIND_LABEL[kind]} ${id}`);
}

/** Creates a token in the caller's transaction, with its audit entry (which never holds the secret). */
export async function createToken(
  tx: Queryable,
  context: AuditContext,
  input: CreateTokenInput,
): Promise<CreatedToken> {
  const data = parseInput(
    createTokenSchema,
    input.expiresAt instanceof Date ? { ...input, expiresAt: input.expiresAt.toISOString() } : input,
    'tokens.invalid',
  );
  const scopes = SCOPES.filter((scope) => data.scopes.includes(scope));
  return insertToken(tx, context, {
    kind: 'admin',
    name: data.name,
    scopes,
    expiresAt: data.expiresAt ? new Date(data.expiresAt) : null,
  });
}

/**
 * Stores a new token of any kind (input already validated by the kind's own rules) and audits it;
 * the audit entry never holds the secret.
 */
export async function insertToken(
  tx: Queryable,
  context: AuditContext,
  input: { kind: TokenKind; name: string; scopes: Scope[]; expiresAt: Date | null },
): Promise<CreatedToken> {
  const token = TOKEN_PREFIXES[input.kind] + randomBytes(32).toString('base64url');
  const { rows } = await tx.query<TokenRow>(
    `insert into api_tokens (kind, name, token_hash, scopes, created_by, expires_at)
     values ($1, $2, $3, $4, $5, $6) returning ${COLUMNS}`,
    [input.kind, input.name, hashToken(token), input.scopes, context.actor, input.expiresAt],
  );
  const created = toToken(rows[0]!);
  await audit(tx, context, {
    action: actionOf(input.kind, 'create'),
    target: tokenTarget(created.id),
    details: {
      name: created.name,
      ...(input.kind === 'admin' ? { scopes: input.scopes } : {}),
      expiresAt: created.expiresAt?.toISOString() ?? null,
    },
  });
  return { ...created, token };
}

export interface VerifiedToken {
  id: string;
  name: string;
  scopes: Scope[];
}

/**
 * The token's identity when it is known, unrevoked and unexpired; undefined otherwise (whatever
 * the reason: callers answer all of them alike). Looked up by hash, so the lookup reveals nothing
 * about near misses.
 */
export async function verifyToken(
  q: Queryable,
  token: string,
  kind: TokenKind = 'admin',
): Promise<VerifiedToken | undefined> {
  if (!TOKEN_FORMATS[kind].test(token)) return undefined;
  const { rows } = await q.query<{ id: string; name: string; scopes: Scope[]; stale: boolean }>(
    `select id, name, scopes,
            (last_used_at is null or last_used_at < now() - interval '${LAST_USED_RESOLUTION}') as stale
     from api_tokens
     where token_hash = $1 and kind = $2 and revoked_at is null and (expires_at is null or expires_at > now())`,
    [hashToken(token), kind],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) {
    await q.query(
      `update api_tokens set last_used_at = now()
       where id = $1 and (last_used_at is null or last_used_at < now() - interval '${LAST_USED_RESOLUTION}')`,
      [row.id],
    );
  }
  return { id: row.id, name: row.name, scopes: row.scopes };
}

/** Admin API tokens as bearer credentials (actor `token:<id>`). */
export function tokenVerifier(q: Queryable): BearerVerifier {
  return async (bearer) => {
    const token = await verifyToken(q, bearer);
    return token && { actor: tokenTarget(token.id), scopes: token.scopes, name: token.name };
  };
}

/** Every token of a kind, newest first, revoked and expired ones included (never the secret or its hash). */
export async function listTokens(q: Queryable, kind: TokenKind = 'admin'): Promise<ApiToken[]> {
  const { rows } = await q.query<TokenRow>(
    `select ${COLUMNS} from api_tokens where kind = $1 order by created_at desc, id`,
    [kind],
  );
  return rows.map(toToken);
}

export async function getToken(q: Queryable, id: string, kind: TokenKind = 'admin'): Promise<ApiToken> {
  if (!isUuid(id)) throw notFound(id, kind);
  const { rows } = await q.query<TokenRow>(`select ${COLUMNS} from api_tokens where id = $1 and kind = $2`, [
    id,
    kind,
  ]);
  if (!rows[0]) throw notFound(id, kind);
  return toToken(rows[0]);
}

/** Revokes a token at once; revoking a revoked token changes nothing and is not audited again. */
export async function revokeToken(
  tx: Queryable,
  context: AuditContext,
  id: string,
  kind: TokenKind = 'admin',
): Promise<ApiToken> {
  if (!isUuid(id)) throw notFound(id, kind);
  const { rows } = await tx.query<TokenRow>(
    `select ${COLUMNS} from api_tokens where id = $1 and kind = $2 for update`,
    [id, kind],
  );
  if (!rows[0]) throw notFound(id, kind);
  if (rows[0].revoked_at) return toToken(rows[0]);
  const updated = await tx.query<TokenRow>(
    `update api_tokens set revoked_at = now() where id = $1 returning ${COLUMNS}`,
    [id],
  );
  const token = toToken(updated.rows[0]!);
  await notify(tx, TOKENS_CHANNEL, id);
  await audit(tx, context, {
    action: actionOf(kind, 'revoke'),
    target: tokenTarget(id),
    details: { name: token.name },
  });
  return token;
}
