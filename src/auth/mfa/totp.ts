import { Secret, TOTP } from 'otpauth';

/**
 * TOTP (RFC 6238) as pure functions: SHA-1, 6 digits, 30-second steps, the codes of the steps
 * just before and after the current one accepted too (clocks drift, people type slowly).
 * Which step a code matched is returned so the caller can refuse it a second time.
 */
const PERIOD = 30;
const DIGITS = 6;
const WINDOW = 1;

/** A new random secret (160 bits, the size of the HMAC-SHA-1 key), base32 as apps expect it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app reads from the QR code. */
export function totpUri(secret: string, account: string, issuer: string): string {
  return new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secret),
    period: PERIOD,
    digits: DIGITS,
  }).toString();
}

/** The time step (RFC 6238 `T`) whose code `code` is, within ±1 step of `now`; undefined if none. */
export function matchTotpStep(secret: string, code: string, now: number = Date.now()): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = TOTP.validate({
    token,
    secret: Secret.fromBase32(secret),
    period: PERIOD,
    digits: DIGITS,
    timestamp: now,
    window: WINDOW,
  });
  return delta === null ? undefined : totpStep(now) + delta;
}

export function totpStep(now: number = Date.now()): number {
  return Math.floor(now / 1000 / PERIOD);
}

/** The code of a step (for tests and tools that play the authenticator app). */
export function totpCode(secret: string, now: number = Date.now()): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), period: PERIOD, digits: DIGITS, timestamp: now });
}
