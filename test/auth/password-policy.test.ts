import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  COMMON_PASSWORDS_COUNT,
  commonPasswords,
  isCommonPassword,
} from '../../src/auth/common-passwords.ts';
import { DEFAULT_ARGON2_PARAMS, hashPassword } from '../../src/auth/password-hash.ts';
import {
  checkPassword,
  isPasswordExpired,
  isReused,
  type PasswordOwner,
  type PasswordProblemCode,
} from '../../src/auth/password-policy.ts';
import { normalizePassword, passwordBytes, passwordLength } from '../../src/auth/password-text.ts';

const policy = { minLength: 12, maxAge: 90 * 86_400_000, history: 5, requireClasses: 3 };
const alice: PasswordOwner = {
  userName: 'alice.w',
  displayName: 'Alice Wonderland',
  givenName: 'Alice',
  familyName: 'Wonderland',
  emails: ['a.liddell+work@example.com'],
};
const nobody: PasswordOwner = { userName: 'u1' };
const codes = (password: string, p: Partial<typeof policy> = {}, user = nobody): PasswordProblemCode[] => {
  const result = checkPassword(password, { ...policy, ...p }, user);
  return result.ok ? [] : result.problems.map((x) => x.code);
};

describe('normalizePassword', () => {
  test('NFKC: ligatures, full-width and composed forms become plain text; length is in code points', () => {
    expect(normalizePassword('\ufb01')).toBe('fi');
    expect(normalizePassword('ＡＢＣ１２３')).toBe('ABC123');
    expect(normalizePassword('cafe\u0301')).toBe('caf\u00e9');
    expect(passwordLength('🔒🔑')).toBe(2);
    expect(passwordLength(normalizePassword('\ufb01'))).toBe(2);
  });
});

describe('checkPassword', () => {
  test('a good password passes', () => {
    expect(checkPassword('Blue-Kettle-Sings-42', policy, alice)).toEqual({ ok: true });
    expect(checkPassword('correct horse battery staple', { ...policy, requireClasses: 2 }, alice)).toEqual({
      ok: true,
    });
  });

  test('too_short counts code points after NFKC, not UTF-16 units or bytes', () => {
    expect(codes('Kettle-Sin9')).toEqual(['too_short']); // 11
    expect(codes('Kettle-Sin9s')).toEqual([]); // 12
    expect(codes('Kettle-🔒🔒🔒-9')).toEqual([]); // 12 code points, 15 UTF-16 units
    expect(codes('Kettle-🔒🔒-9')).toEqual(['too_short']); // 11 code points, 13 units
    expect(codes('Kettle-Si-\ufb01')).toEqual([]); // the ligature counts as its 2 letters
    expect(codes('')).toContain('too_short');
  });

  test('too_long above 256 code points; huge input is refused before any other work', () => {
    const base = 'Kettle-Sings-9-';
    expect(codes(base.padEnd(256, 'x'))).toEqual([]);
    expect(codes(base.padEnd(257, 'x'))).toEqual(['too_long']);
    expect(codes(`Aa1-${'🔒'.repeat(252)}`)).toEqual([]); // 256 code points, 1012 bytes
    expect(codes(`Aa1-${'🔒'.repeat(253)}`)).toEqual(['too_long']);
    const huge = checkPassword('a'.repeat(1_000_000), policy, nobody);
    expect(huge).toEqual({
      ok: false,
      problems: [{ code: 'too_long', message: 'Use at most 256 characters.' }],
    });
  });

  test('invalid_characters: control characters, line breaks and ill-formed text', () => {
    expect(codes('Kettle\tSings-42')).toEqual(['invalid_characters']);
    expect(codes('Kettle\nSings-42')).toEqual(['invalid_characters']);
    expect(codes('Kettle\u2028Sings-42')).toEqual(['invalid_characters']);
    expect(codes('Kettle-Sings-42\ud800')).toEqual(['invalid_characters']);
    expect(codes('Kettle\u200dSings-42')).toEqual([]); // a zero-width joiner (emoji sequences) is fine
    expect(codes('👩‍💻 Kettle Sings 42')).toEqual([]);
  });

  test('classes: counts lower, upper, digits and symbols present against requireClasses', () => {
    expect(codes('kettlesingsaloud', { requireClasses: 1 })).toEqual([]);
    expect(codes('kettlesingsaloud', { requireClasses: 2 })).toEqual(['classes']);
    expect(codes('KettleSingsAloud', { requireClasses: 2 })).toEqual([]);
    expect(codes('KettleSingsAloud', { requireClasses: 3 })).toEqual(['classes']);
    expect(codes('KettleSingsAloud7', { requireClasses: 3 })).toEqual([]);
    expect(codes('kettle sings aloud', { requireClasses: 2 })).toEqual([]); // a space is a symbol
    expect(codes('kettle-sings-7', { requireClasses: 3 })).toEqual([]);
    expect(codes('Kettle-Sings-7', { requireClasses: 4 })).toEqual([]);
    expect(codes('Kettle-Sings-x', { requireClasses: 4 })).toEqual(['classes']);
    expect(codes('aaaaaaaaaaaa', { requireClasses: 0 })).toEqual([]);
  });

  test('classes: Unicode letters, digits and symbols count too', () => {
    expect(codes('ЧайникПоёт-42', { requireClasses: 4 })).toEqual([]); // Cyrillic upper and lower
    expect(codes('чайникпоёт€42', { requireClasses: 3 })).toEqual([]); // € is a symbol
    expect(codes('ÉLÉPHANTROSE', { requireClasses: 2 })).toEqual(['classes']); // upper only
    expect(codes('水壶在唱歌呢水壶在唱歌呢', { requireClasses: 1 })).toEqual([]); // caseless letters count as lower
    expect(codes('水壶在唱歌呢-水壶在唱歌呢-٣', { requireClasses: 3 })).toEqual([]); // Arabic-Indic digit
    expect(codes('ＫＥＴＴＬＥsings１２', { requireClasses: 3 })).toEqual([]); // full-width, after NFKC
  });

  test('common: the top 10,000 list, ignoring case and undoing leet swaps', () => {
    const loose = { minLength: 1, requireClasses: 0 };
    for (const p of [
      'password',
      'PASSWORD',
      'Password',
      'password123',
      'iloveyou',
      'trustno1',
      'qwerty123456',
    ]) {
      expect(codes(p, loose), p).toEqual(['common']);
    }
    for (const p of ['P@ssw0rd', 'p4ssw0rd', 'Passw0rd', 'L3tm31n', 'Tru$tno1', 'm0nk3y', 'Pa$$word1']) {
      expect(codes(p, loose), p).toEqual(['common']);
    }
    expect(codes('1qaz2wsx3edc')).toEqual(['classes', 'common']);
    expect(codes('kettlesings', loose)).toEqual([]);
    expect(codes('Tr0ub4dor&3', loose)).toEqual([]);
  });

  test('common: exactly the top 10,000 of the ranked list', () => {
    const list = commonPasswords();
    expect(list.size).toBe(COMMON_PASSWORDS_COUNT);
    expect(commonPasswords()).toBe(list); // loaded once
    expect(list.has('123456')).toBe(true); // rank 1
    expect(list.has('password123')).toBe(true); // rank 796
    expect(list.has('password!')).toBe(false); // rank 37,326
    expect(isCommonPassword('password!')).toBe(false);
    expect(isCommonPassword('PassWord1')).toBe(true);
  });

  test('contains_user_name: user name, name parts of 4 or more, e-mail local part, any case', () => {
    const only = (p: string, user: PasswordOwner = alice) =>
      codes(p, { minLength: 8, requireClasses: 0 }, user);
    expect(only('my-alice.w-key')).toEqual(['contains_user_name']); // whole user name
    expect(only('ALICE rocks 2024')).toEqual(['contains_user_name']); // given name, any case
    expect(only('down the wonderland hole')).toEqual(['contains_user_name']);
    expect(only('i am alice wonderland')).toEqual(['contains_user_name']); // display name
    expect(only('liddell forever')).toEqual(['contains_user_name']); // part of the e-mail local part
    expect(only('a.liddell+work!!')).toEqual(['contains_user_name']); // the whole local part
    expect(only('@l1ce in chains')).toEqual(['contains_user_name']); // leet undone
    expect(only('work from home now')).toEqual(['contains_user_name']); // "work" from the local part
    expect(only('example domain ok')).toEqual([]); // the domain is not a name
    expect(only('kettle sings aloud')).toEqual([]);
    // Parts shorter than 4 code points are ignored: they occur by chance.
    expect(only('al and bo and ed', { userName: 'al', givenName: 'Bo', familyName: 'Ed' })).toEqual([]);
    expect(only('bjørn is brave', { userName: 'x', givenName: 'BJØRN' })).toEqual(['contains_user_name']);
    expect(only('ｊｏｈｎｎｙ cash here', { userName: 'johnny' })).toEqual(['contains_user_name']); // NFKC both sides
    expect(only('zoë in paris', { userName: 'x', givenName: 'Zoë' })).toEqual([]); // 3 code points
  });

  test('every problem is reported at once; no message repeats the password', () => {
    const password = 'alice1';
    const result = checkPassword(password, policy, alice);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.code)).toEqual([
      'too_short',
      'classes',
      'common',
      'contains_user_name',
    ]);
    for (const p of result.problems) {
      expect(p.message).not.toContain(password);
      expect(p.message).toMatch(/^[A-Z].*\.$/);
    }
  });
});

test('whatever the policy accepts can be hashed (property)', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
  );
  fc.assert(
    fc.property(anyText, (password) => {
      const result = checkPassword(password, { minLength: 1, requireClasses: 0 }, nobody);
      if (result.ok) expect(passwordBytes(password)).toBeDefined();
      if (!result.ok)
        for (const p of result.problems)
          expect(p.message.includes(password) && password.length > 3).toBe(false);
    }),
    { numRuns: 1000 },
  );
});

describe('isReused / isPasswordExpired', () => {
  const fast = { ...DEFAULT_ARGON2_PARAMS, memoryKiB: 1024, passes: 1 };

  test('isReused is true when any earlier hash matches, after NFKC', async () => {
    const history = await Promise.all(['First-Pass-1', '\ufb01nal-Pass-2'].map((p) => hashPassword(p, fast)));
    expect(await isReused('First-Pass-1', history)).toBe(true);
    expect(await isReused('final-Pass-2', history)).toBe(true);
    expect(await isReused('Third-Pass-3', history)).toBe(false);
    expect(await isReused('First-Pass-1', [])).toBe(false);
    expect(await isReused('First-Pass-1', ['garbage', ...history])).toBe(true);
  });

  test('isPasswordExpired after maxAge; never when maxAge is 0', () => {
    const day = 86_400_000;
    expect(isPasswordExpired(0, { maxAge: 90 * day }, 90 * day - 1)).toBe(false);
    expect(isPasswordExpired(0, { maxAge: 90 * day }, 90 * day)).toBe(true);
    expect(isPasswordExpired(0, { maxAge: 0 }, 10_000 * day)).toBe(false);
  });
});
