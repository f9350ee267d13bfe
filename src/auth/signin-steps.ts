/**
 * The steps of signing in after the password, in order: a second factor (the person's device, or
 * enrolling one where MFA is required and they have none), then a new password when theirs was
 * reset or has expired, then done. MFA comes before the password change so that a leaked
 * temporary password alone cannot choose the next one.
 */
export type SignInStep = 'mfa' | 'enrol' | 'change_password' | 'done';

export interface SignInProgress {
  /** A second factor was verified (or enrolled) in this sign-in. */
  mfaDone: boolean;
  hasSecondFactor: boolean;
  mfaRequired: boolean;
  mustChangePassword: boolean;
}

export function nextSignInStep(p: SignInProgress): SignInStep {
  if (!p.mfaDone && p.hasSecondFactor) return 'mfa';
  if (!p.mfaDone && p.mfaRequired) return 'enrol';
  if (p.mustChangePassword) return 'change_password';
  return 'done';
}
