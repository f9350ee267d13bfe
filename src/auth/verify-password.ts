import { type AuditContext, audit } from '../audit/audit.ts';
import type { User } from '../directory/users.ts';
import type { Db } from '../store/db.ts';
import {
  burnTime,
  DEFAULT_ARGON2_PARAMS,
  hashPassword,
  needsRehash,
  verifyPasswordHash,
} from './password-hash.ts';
import { isPasswordExpired, type PasswordPolicy } from './password-policy.ts';
import { findUserWithPassword, replaceHash } from './password-store.ts';
import { isLocked, lockRemainingMs, recordFailure, recordSuccess, THROTTLE_DEFAULTS } from './throttle.ts';
import { ipKey, readThrottle, updateThrottle, userKey } from './throttle-store.ts';

export interface SignInContext extends AuditContext {
  ip?: string | null;
}

/**
 * The outcome of a password check. Callers show the same message for `bad_credentials` and
 * `locked` (and take the same time to get here): only the audit log tells them apart.
 * `disabled` and `must_change` are reached only with the right password.
 * `external` means the user's password lives in a directory: ask its connector.
 */
export type PasswordResult =
  | { outcome: 'ok'; user: User }
  | { outcome: 'must_change'; user: User; reason: 'reset' | 'expired' }
  | { outcome: 'disabled'; user: User }
  | { outcome: 'bad_credentials' }
  | { outcome: 'locked'; retryAfterMs: number }
  | { outcome: 'external'; user: User };

export interface VerifyOptions {
  policy: Pick<PasswordPolicy, 'maxAge'>;
  now?: () => number;
}

/**
 * Checks a built-in user's password with brute-force protection: a locked account or address is
 * refused without checking the hash; an unknown user costs the same argon2 work as a known one.
 */
export async function verifyPassword(
  db: Db,
  userName: string,
  password: string,
  context: SignInContext,
  options: VerifyOptions,
): Promise<PasswordResult> {
  const now = options.now ?? Date.now;
  const name = userName.trim();
  const throttle = signInThrottle(db, name, context, now);
  const fail = async (reason: string, user?: User): Promise<PasswordResult> => {
    await throttle.failure(reason, user, 'password');
    return { outcome: 'bad_credentials' };
  };

  // Refuse early while locked, but only after the same work a real check costs.
  const locked = await throttle.lockedFor();
  if (locked !== undefined) {
    await burnTime(password);
    await throttle.refused('password');
    return { outcome: 'locked', retryAfterMs: locked };
  }

  const found = name ? await findUserWithPassword(db, name) : undefined;
  const user = found?.user;
  if (user && user.source !== 'builtin') return { outcome: 'external', user };
  const stored = password ? found?.password : undefined;
  if (!user || !stored) {
    await burnTime(password || ' ');
    return fail(!user ? 'unknown_user' : password ? 'no_password' : 'empty_password', user);
  }
  if (!(await verifyPasswordHash(stored.hash, password))) return fail('wrong_password', user);

  // The password is right: from here on, telling the user why is safe.
  await throttle.success();
  if (needsRehash(stored.hash)) {
    await replaceHash(db, user.id, stored.hash, await hashPassword(password, DEFAULT_ARGON2_PARAMS));
  }
  const result: PasswordResult =
    user.status !== 'active'
      ? { outcome: 'disabled', user }
      : stored.mustChange
        ? { outcome: 'must_change', user, reason: 'reset' }
        : isPasswordExpired(stored.changedAt.getTime(), options.policy, now())
          ? { outcome: 'must_change', user, reason: 'expired' }
          : { outcome: 'ok', user };
  await db.transaction((tx) =>
    audit(tx, context, {
      action: 'auth.signin',
      target: `user:${user.id}`,
      outcome: result.outcome === 'disabled' ? 'denied' : 'success',
      details: {
        method: 'password',
        step: 'password',
        ...(result.outcome !== 'ok' ? { result: result.outcome } : {}),
      },
    }),
  );
  return result;
}

/**
 * Brute-force counters and audit entries of one sign-in attempt, for every way a password is
 * checked (built-in hash or a directory bind): the same locks, whoever holds the password.
 */
export function signInThrottle(db: Db, name: string, context: SignInContext, now: () => number = Date.now) {
  const keys = [userKey(name), ...(context.ip ? [ipKey(context.ip)] : [])];
  const shownName = name.slice(0, 256);
  return {
    /** Milliseconds until the account or address lock ends, or undefined when neither is locked. */
    async lockedFor(): Promise<number | undefined> {
      const records = await Promise.all(keys.map((key) => readThrottle(db, key)));
      const locked = records.filter((r) => isLocked(r, now()));
      return locked.length ? Math.max(...locked.map((r) => lockRemainingMs(r, now()))) : undefined;
    },
    async refused(method: string): Promise<void> {
      await db.transaction((tx) =>
        audit(tx, context, {
          action: 'auth.signin',
          outcome: 'denied',
          details: { userName: shownName, reason: 'locked', method },
        }),
      );
    },
    async failure(reason: string, user: User | undefined, method: string): Promise<void> {
      const account = await db.transaction(async (tx) => {
        const account = await updateThrottle(tx, keys[0]!, (r) =>
          recordFailure(r, now(), THROTTLE_DEFAULTS.account),
        );
        const address = keys[1]
          ? await updateThrottle(tx, keys[1], (r) => recordFailure(r, now(), THROTTLE_DEFAULTS.clientIp))
          : undefined;
        const lockedNow = isLocked(account, now()) || (address !== undefined && isLocked(address, now()));
        await audit(tx, context, {
          action: 'auth.signin',
          target: user ? `user:${user.id}` : null,
          outcome: 'failure',
          details: { userName: shownName, reason, method, ...(lockedNow ? { lockedOut: true } : {}) },
        });
        return account;
      });
      if (isLocked(account, now()) && account.failures === THROTTLE_DEFAULTS.account.maxFailures) {
        await db.transaction((tx) =>
          audit(tx, context, {
            action: 'auth.lockout',
            target: user ? `user:${user.id}` : null,
            outcome: 'denied',
            details: { userName: shownName },
          }),
        );
      }
    },
    async success(): Promise<void> {
      await db.transaction((tx) => updateThrottle(tx, keys[0]!, () => recordSuccess()));
    },
  };
}
