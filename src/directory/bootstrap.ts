import { createHash, randomBytes } from 'node:crypto';
import { type AuditContext, audit, SYSTEM } from '../audit/audit.ts';
import type { Db, Queryable } from '../store/db.ts';
import { emit } from './events.ts';

export const ROOT_USER_NAME = 'root';
const SETUP_TTL_MS = 60 * 60 * 1000;

export interface SetupLink {
  userId: string;
  token: string;
  expiresAt: Date;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Creates the one break-glass administrator ("root") unless it exists, with a one-time set-up
 * token (single use, one hour; only its hash is stored). The root account must enrol MFA at first
 * sign-in and can never hold programmatic credentials (enforced by the sign-in and credentials
 * modules). Returns undefined when root already exists and no new link was asked for.
 */
export async function bootstrapRoot(
  db: Db,
  options: { newLink?: boolean; context?: AuditContext } = {},
): Promise<SetupLink | undefined> {
  const context = options.context ?? SYSTEM;
  return db.withLock('gatehouse:bootstrap', () =>
    db.transaction(async (tx) => {
      const existing = await tx.query<{ id: string }>('select id from users where is_root');
      let userId = existing.rows[0]?.id;
      if (userId && !options.newLink) return undefined;
      if (!userId) {
        const created = await tx.query<{ id: string }>(
          `insert into users (user_name, display_name, is_root, source) values ($1, 'Root administrator', true, 'builtin') returning id`,
          [ROOT_USER_NAME],
        );
        userId = created.rows[0]!.id;
        await emit(tx, { type: 'user.created', userId });
        await audit(tx, context, {
          action: 'user.create',
          target: `user:${userId}`,
          details: { userName: ROOT_USER_NAME, root: true },
        });
      }
      const link = await issueSetupToken(tx, userId, 'root-setup');
      await audit(tx, context, {
        action: 'user.setup_link',
        target: `user:${userId}`,
        details: { expiresAt: link.expiresAt.toISOString() },
      });
      return link;
    }),
  );
}

/** Replaces any unused link of the same purpose: only the newest one works. */
export async function issueSetupToken(q: Queryable, userId: string, purpose: string): Promise<SetupLink> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SETUP_TTL_MS);
  await q.query('delete from setup_tokens where user_id = $1 and purpose = $2 and used_at is null', [
    userId,
    purpose,
  ]);
  await q.query(
    'insert into setup_tokens (token_hash, user_id, purpose, expires_at) values ($1, $2, $3, $4)',
    [hashToken(token), userId, purpose, expiresAt],
  );
  return { userId, token, expiresAt };
}

/**
 * Spends a set-up token: returns its user when the token exists, is unused, unexpired and of the
 * expected purpose. The update is the check, so two concurrent uses cannot both succeed.
 */
export async function redeemSetupToken(
  q: Queryable,
  token: string,
  purpose: string,
): Promise<string | undefined> {
  const { rows } = await q.query<{ user_id: string }>(
    `update setup_tokens set used_at = now()
     where token_hash = $1 and purpose = $2 and used_at is null and expires_at > now()
     returning user_id`,
    [hashToken(token), purpose],
  );
  return rows[0]?.user_id;
}

/** Looks a set-up token up without spending it (a GET must not consume a link: mail scanners follow links). */
export async function peekSetupToken(
  q: Queryable,
  token: string,
): Promise<{ userId: string; purpose: string } | undefined> {
  const { rows } = await q.query<{ user_id: string; purpose: string }>(
    'select user_id, purpose from setup_tokens where token_hash = $1 and used_at is null and expires_at > now()',
    [hashToken(token)],
  );
  return rows[0] && { userId: rows[0].user_id, purpose: rows[0].purpose };
}

export const setupUrl = (baseUrl: string, token: string): string => `${baseUrl}/setup?token=${token}`;
