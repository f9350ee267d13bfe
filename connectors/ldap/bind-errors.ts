// Turns a failed user bind into a sign-in result. AD puts the reason in the diagnostic message
// ("... AcceptSecurityContext error, data 52e, v4563"); OpenLDAP's ppolicy in a response control.
import type { LoginFailure } from '../types.ts';

/** AD sub-code ("data XXX") → result. Unknown codes fall back to invalid credentials. */
const AD_SUBCODES: Record<string, LoginFailure> = {
  '525': 'invalid_credentials', // no such user
  '52e': 'invalid_credentials', // bad password
  '530': 'not_permitted', // not permitted to log on at this time
  '531': 'not_permitted', // not permitted to log on at this workstation
  '532': 'expired', // password expired
  '533': 'disabled', // account disabled
  '568': 'not_permitted', // too many security ids
  '701': 'expired', // account expired
  '773': 'must_change', // password must be reset
  '775': 'locked', // account locked out
};

/** Extracts the AD sub-code (lowercase hex) from a bind diagnostic message, if any. */
export function adSubCode(message: string): string | null {
  const m = /\bdata ([0-9a-f]{3,8})\b/i.exec(message);
  return m ? m[1]!.toLowerCase() : null;
}

export function adBindFailure(message: string): LoginFailure {
  const code = adSubCode(message);
  return (code && AD_SUBCODES[code]) || 'invalid_credentials';
}

/** draft-behera ppolicy error values (PasswordPolicyError in ldapts). */
export function ppolicyFailure(error: number | undefined): LoginFailure | null {
  switch (error) {
    case 0:
      return 'expired';
    case 1:
      return 'locked';
    case 2:
      return 'must_change';
    default:
      return null;
  }
}
