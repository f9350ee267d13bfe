import { describe, expect, test } from 'vitest';
import { queryAudit } from '../../src/audit/audit.ts';
import { createUser, disableUser } from '../../src/directory/users.ts';
import {
  ACR_MFA,
  ACR_PASSWORD,
  createSession,
  endSession,
  endUserSessions,
  listUserSessions,
  purgeExpiredSessions,
  readSession,
} from '../../src/sessions/index.ts';
import { backends } from '../support/backends.ts';
import { useDb } from '../support/db.ts';

const limits = { idle: 3_600_000, absolute: 8 * 3_600_000 };
const minutes = (n: number) => n * 60_000;
const context = { actor: 'test' };

describe.each(backends)('portal sessions on $name', (backend) => {
  const ctx = useDb(backend);
  let seq = 0;
  const user = () =>
    ctx.db.transaction((tx) => createUser(tx, context, { userName: `session-user-${++seq}` }));

  test('a session is found by its token only; the database keeps a hash; amr decides acr', async () => {
    const u = await user();
    const t0 = Date.now();
    const { session, token } = await createSession(
      ctx.db,
      context,
      { userId: u.id, amr: ['pwd', 'otp', 'mfa'], userAgent: 'test-agent', ip: '192.0.2.1' },
      limits,
      t0,
    );
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).toMatchObject({
      userId: u.id,
      acr: ACR_MFA,
      mfa: true,
      userAgent: 'test-agent',
      ip: '192.0.2.1',
    });
    expect(session.authTime.getTime()).toBe(t0);
    const read = await readSession(ctx.db, token, limits, t0 + 1000);
    expect(read).toEqual(session);
    expect(
      await readSession(
        ctx.db,
        token.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x')),
        limits,
        t0,
      ),
    ).toBeUndefined();
    expect(await readSession(ctx.db, 'not a token', limits, t0)).toBeUndefined();
    const { rows } = await ctx.db.query<Record<string, unknown>>(
      'select * from portal_sessions where id = $1',
      [session.id],
    );
    expect(JSON.stringify(rows)).not.toContain(token);
    const pwdOnly = await createSession(ctx.db, context, { userId: u.id, amr: ['pwd'] }, limits, t0);
    expect(pwdOnly.session).toMatchObject({ acr: ACR_PASSWORD, mfa: false, amr: ['pwd'] });
    expect(
      await queryAudit(ctx.db, { action: 'session.create', target: `user:${u.id}`, limit: 5 }),
    ).toHaveLength(2);
  });

  test('idle limit: use keeps a session alive, an hour without use ends it', async () => {
    const u = await user();
    const t0 = Date.now();
    const { token } = await createSession(ctx.db, context, { userId: u.id, amr: ['pwd'] }, limits, t0);
    // Used every 50 minutes: alive after 2h30.
    for (const m of [50, 100, 150])
      expect(await readSession(ctx.db, token, limits, t0 + minutes(m))).toBeDefined();
    // Then 60 minutes without use.
    expect(await readSession(ctx.db, token, limits, t0 + minutes(210))).toBeUndefined();
    // Ended for good: even "earlier" reads find nothing.
    expect(await readSession(ctx.db, token, limits, t0 + minutes(151))).toBeUndefined();
    const ends = await queryAudit(ctx.db, { action: 'session.end', target: `user:${u.id}`, limit: 5 });
    expect(ends[0]!.details['reason']).toBe('idle');
  });

  test('absolute limit: eight hours after sign-in the session ends however much it is used', async () => {
    const u = await user();
    const t0 = Date.now();
    const { token } = await createSession(ctx.db, context, { userId: u.id, amr: ['pwd'] }, limits, t0);
    for (let m = 30; m < 480; m += 30) {
      expect(await readSession(ctx.db, token, limits, t0 + minutes(m)), `at ${m} min`).toBeDefined();
    }
    expect(await readSession(ctx.db, token, limits, t0 + minutes(480))).toBeUndefined();
    const ends = await queryAudit(ctx.db, { action: 'session.end', target: `user:${u.id}`, limit: 5 });
    expect(ends[0]!.details['reason']).toBe('absolute');
  });

  test('a disabled user is signed out at the next request', async () => {
    const u = await user();
    const { token } = await createSession(ctx.db, context, { userId: u.id, amr: ['pwd'] }, limits);
    expect(await readSession(ctx.db, token, limits)).toBeDefined();
    await ctx.db.transaction((tx) => disableUser(tx, context, u.id));
    expect(await readSession(ctx.db, token, limits)).toBeUndefined();
    expect(await listUserSessions(ctx.db, u.id, limits)).toEqual([]);
  });

  test('list, end one (only one of your own), end all', async () => {
    const u = await user();
    const other = await user();
    const t0 = Date.now();
    const a = await createSession(ctx.db, context, { userId: u.id, amr: ['pwd'] }, limits, t0);
    const b = await createSession(ctx.db, context, { userId: u.id, amr: ['pwd'] }, limits, t0 + 1000);
    const c = await createSession(ctx.db, context, { userId: u.id, amr: ['pwd'] }, limits, t0 + 2000);
    const theirs = await createSession(ctx.db, context, { userId: other.id, amr: ['pwd'] }, limits, t0);
    expect((await listUserSessions(ctx.db, u.id, limits, t0 + 3000)).map((s) => s.id)).toEqual([
      c.session.id,
      b.session.id,
      a.session.id,
    ]);
    // Someone else's session id is not yours to end.
    expect(await endSession(ctx.db, context, theirs.session.id, 'ended_by_user', { userId: u.id })).toBe(
      false,
    );
    expect(await endSession(ctx.db, context, a.session.id, 'ended_by_user', { userId: u.id })).toBe(true);
    expect(await endSession(ctx.db, context, a.session.id, 'ended_by_user', { userId: u.id })).toBe(false);
    expect(await endSession(ctx.db, context, 'not-a-uuid', 'ended_by_user')).toBe(false);
    expect(await readSession(ctx.db, a.token, limits, t0 + 3000)).toBeUndefined();

    expect(await endUserSessions(ctx.db, u.id, 'revoked', context, { except: c.session.id })).toBe(1);
    expect((await listUserSessions(ctx.db, u.id, limits, t0 + 3000)).map((s) => s.id)).toEqual([
      c.session.id,
    ]);
    // In the caller's transaction (how the revocation work calls it): rolled back with it.
    await expect(
      ctx.db.transaction(async (tx) => {
        expect(await endUserSessions(tx, u.id, 'revoked')).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await readSession(ctx.db, c.token, limits, t0 + 3000)).toBeDefined();
    expect(await endUserSessions(ctx.db, u.id, 'revoked')).toBe(1);
    expect(await readSession(ctx.db, c.token, limits, t0 + 3000)).toBeUndefined();
    expect(await readSession(ctx.db, theirs.token, limits, t0 + 3000)).toBeDefined();
    const all = await queryAudit(ctx.db, { action: 'session.end_all', target: `user:${u.id}`, limit: 5 });
    expect(all[0]!.details).toMatchObject({ reason: 'revoked', count: 1 });
  });

  test('purge deletes sessions that are over', async () => {
    const u = await user();
    const t0 = Date.now();
    await createSession(ctx.db, context, { userId: u.id, amr: ['pwd'] }, limits, t0);
    expect(await purgeExpiredSessions(ctx.db, limits, t0 + minutes(30))).toBe(0);
    expect(await purgeExpiredSessions(ctx.db, limits, t0 + minutes(61))).toBeGreaterThanOrEqual(1);
    expect(await listUserSessions(ctx.db, u.id, limits, t0)).toEqual([]);
  });
});
