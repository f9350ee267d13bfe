// What a new password must be, as the configured policy says. Messages are shown to the person
// choosing the password: they say what to change and never repeat the password.
import type { Config } from '../config/schema.ts';
import { isCommonPassword, passwordReadings } from './common-passwords.ts';
import { verifyPasswordHash } from './password-hash.ts';
import {
  MAX_PASSWORD_BYTES,
  MAX_PASSWORD_LENGTH,
  MAX_RAW_PASSWORD_UNITS,
  normalizePassword,
  passwordLength,
} from './password-text.ts';

export type PasswordPolicy = Config['passwordPolicy'];

/** Who the password is for: it must not contain their names. */
export interface PasswordOwner {
  userName: string;
  displayName?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  emails?: readonly string[] | undefined;
}

export type PasswordProblemCode =
  | 'too_short'
  | 'too_long'
  | 'invalid_characters'
  | 'classes'
  | 'common'
  | 'contains_user_name';

export interface PasswordProblem {
  code: PasswordProblemCode;
  message: string;
}

export type PasswordCheck = { ok: true } | { ok: false; problems: PasswordProblem[] };

/** Name parts shorter than this are too likely to occur by chance ("al", "li"). */
const MIN_NAME_PART = 4;

// Letters of scripts without case count as lower-case, so that such passwords can reach 3 classes.
const CLASSES = [/[\p{Ll}\p{Lo}\p{Lm}]/u, /[\p{Lu}\p{Lt}]/u, /\p{N}/u, /[\p{P}\p{S}\p{Zs}]/u];
// Invisible format characters (\p{Cf}) stay allowed: emoji sequences and some scripts need them.
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;

const problem = (code: PasswordProblemCode, message: string): PasswordProblem => ({ code, message });

/** Parts of the owner's names long enough to matter, lower-case. */
function nameParts(user: PasswordOwner): string[] {
  const local = (user.emails ?? []).map((email) => {
    const at = email.lastIndexOf('@');
    return at < 0 ? email : email.slice(0, at);
  });
  const names = [user.userName, user.displayName, user.givenName, user.familyName, ...local];
  const parts = new Set<string>();
  for (const name of names) {
    if (!name) continue;
    const whole = normalizePassword(name).toLowerCase();
    for (const part of [whole, ...whole.split(/[^\p{L}\p{N}]+/u)]) {
      if (passwordLength(part) >= MIN_NAME_PART) parts.add(part);
    }
  }
  return [...parts];
}

/** Checks a new password against the policy; every problem found is reported at once. */
export function checkPassword(
  password: string,
  policy: Pick<PasswordPolicy, 'minLength' | 'requireClasses'>,
  user: PasswordOwner,
): PasswordCheck {
  const tooLong = problem('too_long', `Use at most ${MAX_PASSWORD_LENGTH} characters.`);
  if (password.length > MAX_RAW_PASSWORD_UNITS) return { ok: false, problems: [tooLong] };
  const text = normalizePassword(password);
  const length = passwordLength(text);
  const problems: PasswordProblem[] = [];

  if (length < policy.minLength)
    problems.push(problem('too_short', `Use at least ${policy.minLength} characters.`));
  if (length > MAX_PASSWORD_LENGTH || Buffer.byteLength(text) > MAX_PASSWORD_BYTES) problems.push(tooLong);
  if (CONTROL.test(text) || !text.isWellFormed()) {
    problems.push(
      problem(
        'invalid_characters',
        'Use only characters you can type: no tabs, line breaks or control characters.',
      ),
    );
  }
  const classes = CLASSES.filter((re) => re.test(text)).length;
  if (classes < policy.requireClasses) {
    problems.push(
      problem(
        'classes',
        `Use at least ${policy.requireClasses} of these 4 kinds of characters: lower-case letters, upper-case letters, digits and symbols.`,
      ),
    );
  }
  if (length > 0 && isCommonPassword(text)) {
    problems.push(
      problem('common', 'This password is one of the most common ones, which attackers try first.'),
    );
  }
  const readings = passwordReadings(text);
  if (nameParts(user).some((part) => readings.some((reading) => reading.includes(part)))) {
    problems.push(
      problem(
        'contains_user_name',
        "Don't use your user name, your name or your e-mail address in the password.",
      ),
    );
  }
  return problems.length ? { ok: false, problems } : { ok: true };
}

/**
 * Whether the password matches one of the earlier hashes (the caller passes the last
 * `policy.history` of them). One at a time: each verification holds its memory while it runs.
 */
export async function isReused(password: string, previousHashes: readonly string[]): Promise<boolean> {
  for (const phc of previousHashes) if (await verifyPasswordHash(phc, password)) return true;
  return false;
}

/** Whether a password set at `changedAt` has outlived `policy.maxAge` (0: never expires). */
export function isPasswordExpired(
  changedAt: number,
  policy: Pick<PasswordPolicy, 'maxAge'>,
  now: number,
): boolean {
  return policy.maxAge > 0 && now - changedAt >= policy.maxAge;
}
