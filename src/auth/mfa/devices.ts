import { randomUUID } from 'node:crypto';
import { type AuditContext, audit } from '../../audit/audit.ts';
import { GatehouseError } from '../../errors.ts';
import type { KeyRing } from '../../keys/keyring.ts';
import { seal, unseal } from '../../keys/seal.ts';
import type { Queryable } from '../../store/db.ts';
import { deleteRecoveryCodes } from './recovery-codes.ts';
import { matchTotpStep, newTotpSecret, totpUri } from './totp.ts';

/**
 * TOTP devices (authenticator apps). Secrets are sealed with the key ring's sealing key, bound to
 * the device id, and opened only to check a code. A code is accepted once: the device remembers
 * the step of the last code it accepted and refuses that step and every earlier one, with one
 * conditional update, so two requests racing with the same code cannot both pass.
 */
export interface TotpDevice {
  id: string;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface TotpEnrolment {
  deviceId: string;
  /** Base32, to show as text next to the QR code (once; it is stored sealed). */
  secret: string;
  uri: string;
}

export type TotpCheck =
  | { ok: true; deviceId: string }
  | { ok: false; reason: 'no_device' | 'wrong_code' | 'replayed' };

const ISSUER = 'Gatehouse';
const aad = (deviceId: string) => `mfa-totp:${deviceId}`;
/** An enrolment not confirmed within this long is dropped. */
const PENDING_MS = 60 * 60 * 1000;

interface DeviceRow {
  id: string;
  label: string;
  sealed_secret: string;
  seal_kid: string;
  created_at: Date;
  last_used_at: Date | null;
}

function openSecret(keys: KeyRing, row: DeviceRow): string | undefined {
  const key = keys.sealingKeyById(row.seal_kid);
  return key ? unseal(key.key, row.sealed_secret, aad(row.id))?.toString('utf8') : undefined;
}

/** Starts enrolling a device: a new secret, stored sealed and unconfirmed until a code proves it. */
export async function startTotpEnrolment(
  q: Queryable,
  keys: KeyRing,
  user: { id: string; userName: string },
  label = 'Authenticator app',
): Promise<TotpEnrolment> {
  const deviceId = randomUUID();
  const secret = newTotpSecret();
  const key = keys.sealingKey();
  await q.query(`delete from mfa_totp where user_id = $1 and confirmed_at is null and created_at < $2`, [
    user.id,
    new Date(Date.now() - PENDING_MS),
  ]);
  await q.query(
    'insert into mfa_totp (id, user_id, label, sealed_secret, seal_kid) values ($1, $2, $3, $4, $5)',
    [deviceId, user.id, label.slice(0, 64), seal(key.key, Buffer.from(secret), aad(deviceId)), key.kid],
  );
  return { deviceId, secret, uri: totpUri(secret, user.userName, ISSUER) };
}

/** The secret of an enrolment still pending (to show the QR code again after a wrong code). */
export async function pendingEnrolment(
  q: Queryable,
  keys: KeyRing,
  user: { id: string; userName: string },
  deviceId: string,
): Promise<TotpEnrolment | undefined> {
  const row = await pendingRow(q, user.id, deviceId);
  const secret = row && openSecret(keys, row);
  return secret ? { deviceId, secret, uri: totpUri(secret, user.userName, ISSUER) } : undefined;
}

async function pendingRow(q: Queryable, userId: string, deviceId: string): Promise<DeviceRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(deviceId)) return undefined;
  const { rows } = await q.query<DeviceRow>(
    `select id, label, sealed_secret, seal_kid, created_at, last_used_at from mfa_totp
     where id = $1 and user_id = $2 and confirmed_at is null and created_at > $3`,
    [deviceId, userId, new Date(Date.now() - PENDING_MS)],
  );
  return rows[0];
}

/** Finishes an enrolment with a code from the new device; audited either way. */
export async function confirmTotpEnrolment(
  tx: Queryable,
  context: AuditContext,
  keys: KeyRing,
  userId: string,
  deviceId: string,
  code: string,
  now: number = Date.now(),
): Promise<boolean> {
  const row = await pendingRow(tx, userId, deviceId);
  const secret = row && openSecret(keys, row);
  const step = secret ? matchTotpStep(secret, code, now) : undefined;
  if (step !== undefined) {
    await tx.query(
      'update mfa_totp set confirmed_at = now(), last_step = $2, last_used_at = now() where id = $1',
      [deviceId, step],
    );
  }
  await audit(tx, context, {
    action: 'mfa.totp_enrol',
    target: `user:${userId}`,
    outcome: step !== undefined ? 'success' : 'failure',
    details: { deviceId, ...(step === undefined ? { reason: row ? 'wrong_code' : 'no_enrolment' } : {}) },
  });
  return step !== undefined;
}

/** Checks a code against the user's devices and spends it. Auditing is the caller's (sign-in step). */
export async function verifyTotp(
  q: Queryable,
  keys: KeyRing,
  userId: string,
  code: string,
  now: number = Date.now(),
): Promise<TotpCheck> {
  const { rows } = await q.query<DeviceRow>(
    `select id, label, sealed_secret, seal_kid, created_at, last_used_at from mfa_totp
     where user_id = $1 and confirmed_at is not null`,
    [userId],
  );
  if (rows.length === 0) return { ok: false, reason: 'no_device' };
  for (const row of rows) {
    const secret = openSecret(keys, row);
    const step = secret ? matchTotpStep(secret, code, now) : undefined;
    if (step === undefined) continue;
    const spent = await q.query(
      `update mfa_totp set last_step = $2, last_used_at = now()
       where id = $1 and (last_step is null or last_step < $2)`,
      [row.id, step],
    );
    return spent.rowCount === 1 ? { ok: true, deviceId: row.id } : { ok: false, reason: 'replayed' };
  }
  return { ok: false, reason: 'wrong_code' };
}

export async function listTotpDevices(q: Queryable, userId: string): Promise<TotpDevice[]> {
  const { rows } = await q.query<DeviceRow>(
    `select id, label, sealed_secret, seal_kid, created_at, last_used_at from mfa_totp
     where user_id = $1 and confirmed_at is not null order by created_at`,
    [userId],
  );
  return rows.map((r) => ({ id: r.id, label: r.label, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

export async function hasSecondFactor(q: Queryable, userId: string): Promise<boolean> {
  const { rows } = await q.query(
    'select 1 from mfa_totp where user_id = $1 and confirmed_at is not null limit 1',
    [userId],
  );
  return rows.length > 0;
}

/**
 * Removes a device. Where MFA is required for the user, the last one cannot go (they would be
 * locked out, or back to a password alone); removing the last one also drops the recovery codes.
 */
export async function removeTotpDevice(
  tx: Queryable,
  context: AuditContext,
  userId: string,
  deviceId: string,
  options: { mfaRequired: boolean },
): Promise<void> {
  const devices = await tx.query<{ id: string }>(
    'select id from mfa_totp where user_id = $1 and confirmed_at is not null for update',
    [userId],
  );
  if (!devices.rows.some((d) => d.id === deviceId)) {
    throw new GatehouseError('not_found', 'mfa.device_not_found', 'No such authenticator.');
  }
  if (devices.rows.length === 1 && options.mfaRequired) {
    throw new GatehouseError(
      'conflict',
      'mfa.last_factor',
      'This is your only authenticator and a second factor is required: add another one first.',
    );
  }
  await tx.query('delete from mfa_totp where id = $1', [deviceId]);
  if (devices.rows.length === 1) await deleteRecoveryCodes(tx, userId);
  await audit(tx, context, { action: 'mfa.totp_remove', target: `user:${userId}`, details: { deviceId } });
}
