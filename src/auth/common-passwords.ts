// The passwords attackers try first. The list is zxcvbn-ts's ranked common-passwords dictionary
// (MIT, @zxcvbn-ts/language-common), already lower-case; we keep its top COMMON_PASSWORDS_COUNT.
import { createRequire } from 'node:module';

export const COMMON_PASSWORDS_COUNT = 10_000;

let common: ReadonlySet<string> | undefined;

/** Loaded on first use (about 50 ms, a few MB), then kept. */
export function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const load = createRequire(import.meta.url);
    const { dictionary } = load('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    const ranked = dictionary['passwords-common'];
    if (ranked.length < COMMON_PASSWORDS_COUNT) throw new Error('the common-passwords list is incomplete');
    common = new Set(ranked.slice(0, COMMON_PASSWORDS_COUNT).map((p) => p.toLowerCase()));
  }
  return common;
}

// The usual character-for-letter swaps. "1" stands for both "i" and "l", so it gets two readings;
// symbols alone are also undone, since listed passwords have digits of their own ("trustno1").
const LEET: Record<string, string> = {
  '@': 'a',
  '4': 'a',
  '3': 'e',
  '!': 'i',
  '0': 'o',
  $: 's',
  '5': 's',
  '7': 't',
};
const unleet = (text: string, swaps: RegExp, one = '1') =>
  text.replace(swaps, (c) => (c === '1' ? one : LEET[c]!));

/**
 * Whether a (normalised) password is one of the common ones, ignoring case, also once the usual
 * leet swaps are undone ("P@ssw0rd" is "password").
 */
export function isCommonPassword(password: string): boolean {
  const list = commonPasswords();
  return passwordReadings(password).some((reading) => list.has(reading));
}

/** The readings of a password that other checks should also look at (lower case, leet undone). */
export function passwordReadings(password: string): string[] {
  const lower = password.toLowerCase();
  const all = /[@43!0$571]/g;
  return [...new Set([lower, unleet(lower, /[@!$]/g), unleet(lower, all, 'i'), unleet(lower, all, 'l')])];
}
