import { describe, expect, test } from 'vitest';
import { queryAudit } from '../../src/audit/audit.ts';
import { hashPassword } from '../../src/auth/password-hash.ts';
import { readPassword, storePassword } from '../../src/auth/password-store.ts';
import { changePassword, resetPassword, setPasswordWithToken } from '../../src/auth/passwords.ts';
import { verifyPassword } from '../../src/auth/verify-password.ts';
import { redeemSetupToken } from '../../src/directory/bootstrap.ts';
import { createUser, disableUser, getUser } from '../../src/directory/users.ts';
import { GatehouseError } from '../../src/errors.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';

const admin = { actor: 'test' };
const policy = { minLength: 12, maxAge: 90 * 86_400_000, history: 3, requireClasses: 3 };
const GOOD = 'Correct-Horse-42';

describe.each(backends)('password sign-in on $name', (backend) => {
  const ctx = useDb(backend);
  let seq = 0;

  async function user(password = GOOD, source?: string): Promise<{ id: string; userName: string }> {
    const userName = `signin-${backend.name}-${++seq}`;
    return ctx.db.transaction(async (tx) => {
      const created = await createUser(tx, admin, { userName }, source ? { source } : {});
      await storePassword(tx, created.id, await hashPassword(password), { mustChange: false, keep: 3 });
      return created;
    });
  }
  const verify = (userName: string, password: string, ip: string | null = null, now?: () => number) =>
    verifyPassword(
      ctx.db,
      userName,
      password,
      { actor: 'anonymous', ip },
      { policy, ...(now ? { now } : {}) },
    );

  test('right password, wrong password, unknown user, empty password', async () => {
    const u = await user();
    expect(await verify(u.userName, GOOD)).toMatchObject({ outcome: 'ok', user: { id: u.id } });
    expect(await verify(u.userName.toUpperCase(), GOOD)).toMatchObject({ outcome: 'ok' });
    expect(await verify(u.userName, 'Wrong-Horse-42')).toEqual({ outcome: 'bad_credentials' });
    expect(await verify('nobody-here', GOOD)).toEqual({ outcome: 'bad_credentials' });
    expect(await verify(u.userName, '')).toEqual({ outcome: 'bad_credentials' });
    const failures = await queryAudit(ctx.db, { action: 'auth.signin', outcome: 'failure', limit: 10 });
    expect(failures.map((f) => f.details['reason'])).toEqual(
      expect.arrayContaining(['wrong_password', 'unknown_user', 'empty_password']),
    );
    expect(JSON.stringify(failures)).not.toContain('Wrong-Horse-42');
  });

  test('the 6th wrong password in a row is refused without checking the hash, even when right', async () => {
    const u = await user();
    for (let i = 0; i < 5; i++)
      expect(await verify(u.userName, `Wrong-Horse-${i}x`)).toEqual({ outcome: 'bad_credentials' });
    const sixth = await verify(u.userName, GOOD);
    expect(sixth.outcome).toBe('locked');
    expect((sixth as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect(await queryAudit(ctx.db, { action: 'auth.lockout', limit: 5 })).not.toHaveLength(0);
    // After the lock expires the right password works again (and resets the counter).
    const later = () => Date.now() + 31_000;
    expect(await verify(u.userName, GOOD, null, later)).toMatchObject({ outcome: 'ok' });
  });

  test('unknown names lock the same way: a lock-out reveals nothing about existence', async () => {
    for (let i = 0; i < 5; i++) await verify('ghost-user', `Wrong-Horse-${i}x`);
    expect((await verify('ghost-user', GOOD)).outcome).toBe('locked');
  });

  test('one address guessing across many accounts is locked', async () => {
    const ip = `198.51.100.${seq}`;
    for (let i = 0; i < 50; i++) await verify(`spray-${i}`, 'Spring-2026-!!', ip);
    const u = await user();
    expect((await verify(u.userName, GOOD, ip)).outcome).toBe('locked');
    expect((await verify(u.userName, GOOD, '198.51.100.250')).outcome).toBe('ok');
  }, 60_000);

  test('disabled users are told so only with the right password; directory users go to their directory', async () => {
    const u = await user();
    await ctx.db.transaction((tx) => disableUser(tx, admin, u.id));
    expect(await verify(u.userName, 'Wrong-Horse-42')).toEqual({ outcome: 'bad_credentials' });
    expect((await verify(u.userName, GOOD)).outcome).toBe('disabled');
    const ldap = await user(GOOD, 'ldap:corp');
    expect((await verify(ldap.userName, GOOD)).outcome).toBe('external');
  });

  test('expired passwords and resets require a change; weaker stored parameters are upgraded', async () => {
    const u = await user();
    const in100days = () => Date.now() + 100 * 86_400_000;
    expect(await verify(u.userName, GOOD, null, in100days)).toMatchObject({
      outcome: 'must_change',
      reason: 'expired',
    });

    const weak = await user();
    const weakHash = await hashPassword(GOOD, {
      memoryKiB: 8192,
      passes: 1,
      parallelism: 1,
      saltLength: 16,
      hashLength: 32,
    });
    await ctx.db.query('update password_credentials set hash = $2 where user_id = $1', [weak.id, weakHash]);
    expect((await verify(weak.userName, GOOD)).outcome).toBe('ok');
    expect((await readPassword(ctx.db, weak.id))!.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await verify(weak.userName, GOOD)).outcome).toBe('ok');
  });

  test('self-service change needs the current password, follows the policy and the history', async () => {
    const u = await user();
    const change = (current: string, next: string) =>
      ctx.db.transaction((tx) => changePassword(tx, admin, u.id, current, next, policy));
    await expect(change('Wrong-Horse-42', 'Brand-New-Pass-7')).rejects.toMatchObject({
      code: 'auth.wrong_password',
    });
    await expect(change(GOOD, 'short')).rejects.toMatchObject({ code: 'auth.password_policy' });
    await expect(change(GOOD, `${u.userName}-Aa1`)).rejects.toMatchObject({ code: 'auth.password_policy' });
    await expect(change(GOOD, GOOD)).rejects.toMatchObject({ code: 'auth.password_reused' });
    await change(GOOD, 'Brand-New-Pass-7');
    expect((await verify(u.userName, 'Brand-New-Pass-7')).outcome).toBe('ok');
    expect((await verify(u.userName, GOOD)).outcome).toBe('bad_credentials');
    await change('Brand-New-Pass-7', 'Another-Pass-88');
    await expect(change('Another-Pass-88', GOOD)).rejects.toMatchObject({ code: 'auth.password_reused' });
  });

  test('admin reset: a temporary password must be changed; a link lets the user choose; old sessions end', async () => {
    const u = await user();
    const before = (await getUser(ctx.db, u.id)).validAfter;
    await ctx.db.transaction((tx) =>
      resetPassword(tx, admin, u.id, { temporaryPassword: 'Temporary-Pass-1', policy }),
    );
    expect(await verify(u.userName, 'Temporary-Pass-1')).toMatchObject({
      outcome: 'must_change',
      reason: 'reset',
    });
    expect((await getUser(ctx.db, u.id)).validAfter.getTime()).toBeGreaterThanOrEqual(before.getTime());

    const { link } = await ctx.db.transaction((tx) => resetPassword(tx, admin, u.id, { policy }));
    expect((await verify(u.userName, 'Temporary-Pass-1')).outcome).toBe('bad_credentials');
    const userId = await ctx.db.transaction((tx) => redeemSetupToken(tx, link!.token, 'password-reset'));
    expect(userId).toBe(u.id);
    expect(
      await ctx.db.transaction((tx) => redeemSetupToken(tx, link!.token, 'password-reset')),
    ).toBeUndefined();
    await ctx.db.transaction((tx) => setPasswordWithToken(tx, admin, u.id, 'Chosen-By-Me-99', policy));
    expect((await verify(u.userName, 'Chosen-By-Me-99')).outcome).toBe('ok');
    const ldap = await user(GOOD, 'ldap:corp');
    await expect(
      ctx.db.transaction((tx) => resetPassword(tx, admin, ldap.id, { policy })),
    ).rejects.toBeInstanceOf(GatehouseError);
  });

  test('unknown user and wrong password take the same time (paired tries, within 10 %)', {
    timeout: 120_000,
    retry: 2,
  }, async () => {
    const users = [];
    for (let i = 0; i < 16; i++) users.push(await user());
    // Adjacent pairs, alternating which goes first, so that load on the machine affects both alike.
    const differences: number[] = [];
    const known: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [i, u] of users.entries()) {
        const timeOf = async (fn: () => Promise<unknown>) => {
          const t = performance.now();
          await fn();
          return performance.now() - t;
        };
        const wrong = () => verify(u.userName, `Wrong-Horse-${round}x`);
        const missing = () => verify(`missing-${backend.name}-${round}-${i}`, `Wrong-Horse-${round}x`);
        const times = new Map<() => Promise<unknown>, number>();
        for (const fn of (round + i) % 2 ? [wrong, missing] : [missing, wrong])
          times.set(fn, await timeOf(fn));
        known.push(times.get(wrong)!);
        differences.push(times.get(wrong)! - times.get(missing)!);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const relative = Math.abs(median(differences)) / median(known);
    console.log(
      `password check on ${backend.name}: wrong password ${median(known).toFixed(1)} ms, median paired difference ${median(differences).toFixed(2)} ms (${(relative * 100).toFixed(1)} %)`,
    );
    expect(relative).toBeLessThan(0.1);
    // A leak through timing fails every try; a machine busy with other test files may fail one.
  });
});
