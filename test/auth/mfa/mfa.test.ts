import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  confirmTotpEnrolment,
  hasSecondFactor,
  listTotpDevices,
  pendingEnrolment,
  removeTotpDevice,
  startTotpEnrolment,
  verifyTotp,
} from '../../../src/auth/mfa/devices.ts';
import { isAdministrator, mfaRequired } from '../../../src/auth/mfa/policy.ts';
import {
  redeemRecoveryCode,
  regenerateRecoveryCodes,
  remainingRecoveryCodes,
} from '../../../src/auth/mfa/recovery-codes.ts';
import { matchTotpStep, totpCode, totpStep } from '../../../src/auth/mfa/totp.ts';
import { bootstrapRoot } from '../../../src/directory/bootstrap.ts';
import { createGroup } from '../../../src/directory/groups.ts';
import { addMember } from '../../../src/directory/members.ts';
import { createUser, getUser, type User } from '../../../src/directory/users.ts';
import { ensureKeys, type KeyRing, openKeyRing } from '../../../src/keys/keyring.ts';
import { backends } from '../../support/backends.ts';
import { useDb } from '../../support/db.ts';

const context = { actor: 'test' };
const STEP = 30_000;

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 appendix B, SHA-1: the 20-byte ASCII secret "12345678901234567890", 8 digits there;
  // the last six digits are the 6-digit code.
  const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  test.each([
    [59, '287082'],
    [1111111109, '081804'],
    [1234567890, '005924'],
    [2000000000, '279037'],
  ])('at %i s the code is %s', (seconds, code) => {
    expect(totpCode(rfcSecret, seconds * 1000)).toBe(code);
    expect(matchTotpStep(rfcSecret, code, seconds * 1000)).toBe(totpStep(seconds * 1000));
  });

  test('one step either side is accepted, two are not; malformed codes never match', () => {
    const now = 1_800_000_000_000;
    const step = totpStep(now);
    for (const delta of [-1, 0, 1])
      expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, now + delta * STEP), now)).toBe(step + delta);
    for (const delta of [-2, 2])
      expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, now + delta * STEP), now)).toBeUndefined();
    for (const bad of ['', '12345', '1234567', 'abcdef', '12 34 5x'])
      expect(matchTotpStep(rfcSecret, bad, now)).toBeUndefined();
    expect(matchTotpStep(rfcSecret, totpCode(rfcSecret, now).replace(/^(\d{3})/, '$1 '), now)).toBe(step);
  });
});

describe.each(backends)('MFA storage on $name', (backend) => {
  const ctx = useDb(backend);
  let keys: KeyRing;
  let seq = 0;
  beforeAll(async () => {
    const master = randomBytes(32);
    await ensureKeys(ctx.db, master);
    keys = await openKeyRing(ctx.db, master);
  });
  const user = () => ctx.db.transaction((tx) => createUser(tx, context, { userName: `mfa-user-${++seq}` }));

  async function enrolled(u: User, now = Date.now()) {
    const enrolment = await startTotpEnrolment(ctx.db, keys, u);
    const ok = await ctx.db.transaction((tx) =>
      confirmTotpEnrolment(tx, context, keys, u.id, enrolment.deviceId, totpCode(enrolment.secret, now), now),
    );
    expect(ok).toBe(true);
    return enrolment;
  }

  test('enrolment: the secret is sealed at rest, confirmed only by a right code', async () => {
    const u = await user();
    const enrolment = await startTotpEnrolment(ctx.db, keys, u);
    expect(enrolment.uri).toMatch(/^otpauth:\/\/totp\/Gatehouse:mfa-user-\d+\?.*secret=/);
    const { rows } = await ctx.db.query<Record<string, unknown>>('select * from mfa_totp where id = $1', [
      enrolment.deviceId,
    ]);
    expect(JSON.stringify(rows)).not.toContain(enrolment.secret);
    expect(await hasSecondFactor(ctx.db, u.id)).toBe(false);
    expect((await pendingEnrolment(ctx.db, keys, u, enrolment.deviceId))?.secret).toBe(enrolment.secret);
    const confirm = (code: string) =>
      ctx.db.transaction((tx) => confirmTotpEnrolment(tx, context, keys, u.id, enrolment.deviceId, code));
    expect(await confirm('000000')).toBe(false);
    expect(await confirm(totpCode(enrolment.secret))).toBe(true);
    expect(await hasSecondFactor(ctx.db, u.id)).toBe(true);
    expect(await listTotpDevices(ctx.db, u.id)).toHaveLength(1);
    // Confirmed: no longer pending; the code it was confirmed with is spent.
    expect(await pendingEnrolment(ctx.db, keys, u, enrolment.deviceId)).toBeUndefined();
    expect(await verifyTotp(ctx.db, keys, u.id, totpCode(enrolment.secret))).toEqual({
      ok: false,
      reason: 'replayed',
    });
  });

  test('a code is accepted once; an earlier step after a later one is refused too', async () => {
    const u = await user();
    const now = Date.now();
    const { secret, deviceId } = await enrolled(u, now - 2 * STEP);
    const next = totpCode(secret, now + STEP);
    const current = totpCode(secret, now);
    expect(await verifyTotp(ctx.db, keys, u.id, current, now)).toEqual({ ok: true, deviceId });
    expect(await verifyTotp(ctx.db, keys, u.id, current, now)).toEqual({ ok: false, reason: 'replayed' });
    expect(await verifyTotp(ctx.db, keys, u.id, next, now)).toEqual({ ok: true, deviceId });
    expect(await verifyTotp(ctx.db, keys, u.id, totpCode(secret, now - STEP), now)).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(await verifyTotp(ctx.db, keys, u.id, '123456', now)).toMatchObject({ ok: false });
    // Two requests racing with the same fresh code: exactly one wins.
    const later = now + 3 * STEP;
    const code = totpCode(secret, later);
    const results = await Promise.all([1, 2, 3].map(() => verifyTotp(ctx.db, keys, u.id, code, later)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const other = await user();
    expect(await verifyTotp(ctx.db, keys, other.id, current, now)).toEqual({
      ok: false,
      reason: 'no_device',
    });
  });

  test('recovery codes: ten, single use, forgiving about case and dashes, replaced as a set', async () => {
    const u = await user();
    const codes = await ctx.db.transaction((tx) => regenerateRecoveryCodes(tx, context, u.id));
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    const { rows } = await ctx.db.query('select code_hash from mfa_recovery_codes where user_id = $1', [
      u.id,
    ]);
    expect(JSON.stringify(rows)).not.toContain(codes[0]!.replace(/-/g, ''));
    expect(await redeemRecoveryCode(ctx.db, u.id, codes[0]!)).toBe(true);
    expect(await redeemRecoveryCode(ctx.db, u.id, codes[0]!)).toBe(false);
    expect(await redeemRecoveryCode(ctx.db, u.id, ` ${codes[1]!.toUpperCase().replace(/-/g, ' ')} `)).toBe(
      true,
    );
    expect(await redeemRecoveryCode(ctx.db, u.id, 'not-a-code')).toBe(false);
    const other = await user();
    expect(await redeemRecoveryCode(ctx.db, other.id, codes[2]!)).toBe(false);
    expect(await remainingRecoveryCodes(ctx.db, u.id)).toBe(8);
    await ctx.db.transaction((tx) => regenerateRecoveryCodes(tx, context, u.id));
    expect(await redeemRecoveryCode(ctx.db, u.id, codes[2]!)).toBe(false);
    expect(await remainingRecoveryCodes(ctx.db, u.id)).toBe(10);
  });

  test('removing the last device is refused where MFA is required; allowed otherwise, with the codes', async () => {
    const u = await user();
    const first = await enrolled(u);
    await ctx.db.transaction((tx) => regenerateRecoveryCodes(tx, context, u.id));
    const remove = (deviceId: string, required: boolean) =>
      ctx.db.transaction((tx) => removeTotpDevice(tx, context, u.id, deviceId, { mfaRequired: required }));
    await expect(remove(first.deviceId, true)).rejects.toMatchObject({ code: 'mfa.last_factor' });
    const second = await enrolled(u);
    await remove(first.deviceId, true);
    await expect(remove(first.deviceId, true)).rejects.toMatchObject({ code: 'mfa.device_not_found' });
    expect(await remainingRecoveryCodes(ctx.db, u.id)).toBe(10);
    await remove(second.deviceId, false);
    expect(await hasSecondFactor(ctx.db, u.id)).toBe(false);
    expect(await remainingRecoveryCodes(ctx.db, u.id)).toBe(0);
  });

  test('policy: required for all by default; optional except for root and the administrators group', async () => {
    const plain = await user();
    const admin = await user();
    const nested = await user();
    await ctx.db.transaction(async (tx) => {
      const admins = await createGroup(tx, context, { name: `gatehouse-admins-${backend.name}` });
      const ops = await createGroup(tx, context, { name: `ops-${backend.name}` });
      await addMember(tx, context, admins.id, { userId: admin.id });
      await addMember(tx, context, admins.id, { groupId: ops.id });
      await addMember(tx, context, ops.id, { userId: nested.id });
    });
    await bootstrapRoot(ctx.db);
    const { rows } = await ctx.db.query<{ id: string }>('select id from users where is_root');
    const root = await getUser(ctx.db, rows[0]!.id);
    const group = `gatehouse-admins-${backend.name}`;
    const required = { mfa: { policy: 'required' as const }, administrators: { group } };
    const optional = { mfa: { policy: 'optional' as const }, administrators: { group } };
    for (const u of [plain, admin, nested, root]) expect(await mfaRequired(ctx.db, required, u)).toBe(true);
    expect(await mfaRequired(ctx.db, optional, plain)).toBe(false);
    for (const u of [admin, nested, root]) expect(await mfaRequired(ctx.db, optional, u)).toBe(true);
    expect(await isAdministrator(ctx.db, admin, group.toUpperCase())).toBe(true);
    // A directory group of the same name is another group.
    expect(await isAdministrator(ctx.db, admin, `corp/${group}`)).toBe(false);
    expect(await isAdministrator(ctx.db, plain, group)).toBe(false);
  });
});
