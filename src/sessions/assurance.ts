/**
 * How a person signed in, in the vocabulary of OpenID Connect: `amr` values are from RFC 8176,
 * `acr` values are Gatehouse's own URNs (there is no registry for them).
 *
 * - `pwd`: a password (the built-in argon2id hash, or a bind against the person's directory);
 * - `otp`: a one-time code (a TOTP code from an authenticator app, or a single-use recovery code);
 * - `mfa`: more than one factor was used.
 *
 * - `urn:gatehouse:acr:pwd`: password only (only where the MFA policy is `optional` and the
 *   person has no second factor);
 * - `urn:gatehouse:acr:mfa`: password and a second factor.
 */
export type AmrValue = 'pwd' | 'otp' | 'mfa';

export const ACR_PASSWORD = 'urn:gatehouse:acr:pwd';
export const ACR_MFA = 'urn:gatehouse:acr:mfa';
export type AcrValue = typeof ACR_PASSWORD | typeof ACR_MFA;

export const AMR_PASSWORD: readonly AmrValue[] = ['pwd'];
export const AMR_PASSWORD_OTP: readonly AmrValue[] = ['pwd', 'otp', 'mfa'];

/** The acr that a set of amr values earns. */
export function acrFor(amr: readonly string[]): AcrValue {
  return amr.includes('mfa') ? ACR_MFA : ACR_PASSWORD;
}
