import type { Connector } from '../../connectors/types.ts';
import { audit } from '../audit/audit.ts';
import type { Config } from '../config/schema.ts';
import type { Db } from '../store/db.ts';
import { sourceOf } from '../sync/batch.ts';
import { checkDirectoryUser } from '../sync/check.ts';
import {
  type PasswordResult,
  type SignInContext,
  signInThrottle,
  verifyPassword,
} from './verify-password.ts';

export type SignInResult =
  | Exclude<PasswordResult, { outcome: 'external' }>
  | { outcome: 'unavailable'; message: string };

export interface SignInDeps {
  db: Db;
  connectors: readonly Connector[];
  config: Pick<Config, 'passwordPolicy'>;
}

/**
 * The password step of signing in, for every kind of user: built-in users against their argon2id
 * hash, directory users by a bind against their directory (their password is never stored here).
 * The same brute-force locks apply to both. A directory that cannot be reached is a refusal,
 * never a pass (fail closed). Users the directory no longer has or has disabled are disabled in
 * Gatehouse at once, before the next sync.
 */
export async function signInWithPassword(
  deps: SignInDeps,
  userName: string,
  password: string,
  context: SignInContext,
): Promise<SignInResult> {
  const result = await verifyPassword(deps.db, userName, password, context, {
    policy: deps.config.passwordPolicy,
  });
  if (result.outcome !== 'external') return result;

  const user = result.user;
  const throttle = signInThrottle(deps.db, userName.trim(), context);
  const method = user.source;
  const connector = deps.connectors.find((c) => sourceOf(c) === user.source);
  const unavailable = async (message: string): Promise<SignInResult> => {
    await deps.db.transaction((tx) =>
      audit(tx, context, {
        action: 'auth.signin',
        target: `user:${user.id}`,
        outcome: 'failure',
        details: { reason: 'directory_unavailable', method },
      }),
    );
    return { outcome: 'unavailable', message };
  };
  if (!connector?.password)
    return unavailable(`the directory of ${user.source} is not configured for sign-in`);

  // Bind with the name the directory knows, which may differ in case from what was typed.
  const login = await connector.password.login(user.userName, password);
  if (!login.ok) {
    switch (login.reason) {
      case 'unavailable':
        return unavailable(login.message);
      case 'invalid_credentials':
        await throttle.failure('wrong_password', user, method);
        return { outcome: 'bad_credentials' };
      case 'locked':
        await throttle.failure('locked_in_directory', user, method);
        return { outcome: 'bad_credentials' };
      case 'expired':
      case 'must_change':
        return { outcome: 'must_change', user, reason: 'expired' };
      case 'disabled':
      case 'not_permitted': {
        // Disable here too, now: sessions and credentials issued so far end with it.
        const check = await checkDirectoryUser(deps, user, context);
        if (check.status === 'unavailable') return unavailable(check.message);
        await throttle.failure(login.reason, user, method);
        return { outcome: 'disabled', user: check.status === 'active' ? check.user : user };
      }
    }
  }
  if (login.identity.externalId !== user.externalId) {
    // The name now belongs to another directory entry than the one this user was synced from.
    await throttle.failure('identity_mismatch', user, method);
    return { outcome: 'bad_credentials' };
  }
  await throttle.success();
  if (user.status !== 'active') {
    await deps.db.transaction((tx) =>
      audit(tx, context, {
        action: 'auth.signin',
        target: `user:${user.id}`,
        outcome: 'denied',
        details: { reason: 'disabled', method },
      }),
    );
    return { outcome: 'disabled', user };
  }
  await deps.db.transaction((tx) =>
    audit(tx, context, {
      action: 'auth.signin',
      target: `user:${user.id}`,
      details: { method, step: 'password' },
    }),
  );
  return { outcome: 'ok', user };
}
