import { type AuditContext, audit } from '../audit/audit.ts';
import { issueSetupToken, type SetupLink } from '../directory/bootstrap.ts';
import { emit } from '../directory/events.ts';
import { lockUser, type User } from '../directory/users.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { hashPassword, verifyPasswordHash } from './password-hash.ts';
import { checkPassword, isReused, type PasswordPolicy } from './password-policy.ts';
import { readPassword, recentHashes, storePassword } from './password-store.ts';

function rejectWeak(password: string, policy: PasswordPolicy, user: User): void {
  const check = checkPassword(password, policy, {
    userName: user.userName,
    displayName: user.displayName ?? undefined,
    givenName: user.givenName ?? undefined,
    familyName: user.familyName ?? undefined,
    emails: user.emails.map((e) => e.value),
  });
  if (!check.ok) {
    throw new GatehouseError(
      'invalid',
      'auth.password_policy',
      check.problems.map((p) => p.message).join(' '),
      {
        problems: check.problems,
      },
    );
  }
}

function builtinOnly(user: User): void {
  if (user.source !== 'builtin') {
    throw new GatehouseError(
      'conflict',
      'auth.external_password',
      `${user.userName}'s password is managed by ${user.source}`,
    );
  }
}

/** Sets a password after the policy and history checks; the caller's transaction holds the user row. */
async function setPassword(
  tx: Queryable,
  user: User,
  password: string,
  policy: PasswordPolicy,
  mustChange: boolean,
): Promise<void> {
  rejectWeak(password, policy, user);
  if (await isReused(password, await recentHashes(tx, user.id, policy.history))) {
    throw new GatehouseError(
      'invalid',
      'auth.password_reused',
      `Choose a password you have not used for your last ${policy.history} passwords.`,
    );
  }
  await storePassword(tx, user.id, await hashPassword(password), { mustChange, keep: policy.history });
}

/**
 * Self-service change: the current password is required (a stolen session alone cannot change
 * it). Everything issued before stays valid: the person proved they know the old password.
 */
export async function changePassword(
  tx: Queryable,
  context: AuditContext,
  userId: string,
  current: string,
  next: string,
  policy: PasswordPolicy,
): Promise<void> {
  const user = await lockUser(tx, userId);
  builtinOnly(user);
  const stored = await readPassword(tx, userId);
  if (!stored || !(await verifyPasswordHash(stored.hash, current))) {
    await audit(tx, context, {
      action: 'user.password_change',
      target: `user:${userId}`,
      outcome: 'failure',
      details: { reason: 'wrong_current_password' },
    });
    throw new GatehouseError('invalid', 'auth.wrong_password', 'The current password is not right.');
  }
  await setPassword(tx, user, next, policy, false);
  await emit(tx, { type: 'user.password_changed', userId, data: { by: 'self' } });
  await audit(tx, context, { action: 'user.password_change', target: `user:${userId}` });
}

/**
 * Administrator reset: with a temporary password (which the user must change at next sign-in),
 * or, without one, a one-time link for the user to choose a password. Either way the current
 * password stops working at once.
 */
export async function resetPassword(
  tx: Queryable,
  context: AuditContext,
  userId: string,
  options: { temporaryPassword?: string | undefined; policy: PasswordPolicy },
): Promise<{ link?: SetupLink }> {
  const user = await lockUser(tx, userId);
  builtinOnly(user);
  if (user.status === 'deprovisioned') {
    throw new GatehouseError('conflict', 'directory.user_deprovisioned', `user ${userId} is deprovisioned`);
  }
  let link: SetupLink | undefined;
  if (options.temporaryPassword !== undefined) {
    await setPassword(tx, user, options.temporaryPassword, options.policy, true);
  } else {
    // No usable password until the link is used: an unusable hash keeps the history intact.
    await storePassword(tx, userId, 'reset-pending', { mustChange: true, keep: options.policy.history });
    link = await issueSetupToken(tx, userId, 'password-reset');
  }
  // A reset usually follows a suspected compromise: sessions and tokens issued so far end too.
  await tx.query(
    'update users set valid_after = now(), version = version + 1, updated_at = now() where id = $1',
    [userId],
  );
  await emit(tx, { type: 'user.password_changed', userId, data: { by: 'admin' } });
  await audit(tx, context, {
    action: 'user.password_reset',
    target: `user:${userId}`,
    details: { method: link ? 'link' : 'temporary_password' },
  });
  return link ? { link } : {};
}

/** Completes a reset or set-up link: the token's user chooses a password (policy applies). */
export async function setPasswordWithToken(
  tx: Queryable,
  context: AuditContext,
  userId: string,
  password: string,
  policy: PasswordPolicy,
): Promise<void> {
  const user = await lockUser(tx, userId);
  builtinOnly(user);
  await setPassword(tx, user, password, policy, false);
  await emit(tx, { type: 'user.password_changed', userId, data: { by: 'link' } });
  await audit(tx, context, { action: 'user.password_set', target: `user:${userId}` });
}
