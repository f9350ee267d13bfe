// A password is text, not the bytes one keyboard or browser happened to send: it is compared in
// NFKC form (as NIST SP 800-63B advises), so "ﬁ" and "fi", or full-width and ASCII letters, are the
// same password wherever it is typed. Hashing and policy checks both go through here.

/** Longest password a policy accepts, in code points. */
export const MAX_PASSWORD_LENGTH = 256;
/**
 * Longest password hashed, in UTF-8 bytes after NFKC: bounds the work a sign-in request can ask
 * for. 256 code points never exceed it (4 bytes each at most).
 */
export const MAX_PASSWORD_BYTES = 1024;
/**
 * Raw input (UTF-16 units) beyond this is refused before normalising, which takes time on huge
 * input. Generous: text typed into a form is already composed, so NFKC barely shortens it.
 */
export const MAX_RAW_PASSWORD_UNITS = 4 * MAX_PASSWORD_BYTES;

export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Length in code points (an emoji counts once, as the person typing it expects). */
export function passwordLength(password: string): number {
  let length = 0;
  for (const _ of password) length++;
  return length;
}

/**
 * The UTF-8 bytes that are hashed, or undefined when the input cannot be a password: empty, not
 * well-formed text (a lone surrogate would silently become U+FFFD and collide), or too long.
 */
export function passwordBytes(password: string): Buffer | undefined {
  if (password.length === 0 || password.length > MAX_RAW_PASSWORD_UNITS || !password.isWellFormed()) {
    return undefined;
  }
  const bytes = Buffer.from(normalizePassword(password), 'utf8');
  return bytes.length <= MAX_PASSWORD_BYTES ? bytes : undefined;
}
