import { hash as nodeRsHash, verify as nodeRsVerify } from '@node-rs/argon2';
import { describe, expect, test } from 'vitest';
import {
  burnTime,
  DEFAULT_ARGON2_PARAMS,
  DUMMY_HASH,
  dummyHash,
  hashPassword,
  needsRehash,
  verifyPasswordHash,
} from '../../src/auth/password-hash.ts';
import { parsePhc } from '../../src/auth/phc.ts';
import { isGatehouseError } from '../../src/errors.ts';

const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;
// From libargon2's own test suite (src/test.c): "password", salt "somesalt", m=2^16, t=2, p=1.
const REFERENCE = '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc';
const small = { ...DEFAULT_ARGON2_PARAMS, memoryKiB: 1024, passes: 1 }; // fast, for tests that hash a lot

const rejects = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isGatehouseError(error) && error.code).toBe(code);
};

describe('hashPassword / verifyPasswordHash', () => {
  test('round trip in the standard PHC encoding, with OWASP defaults and a fresh salt each time', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(PHC);
    expect(a).not.toBe(b);
    expect(await verifyPasswordHash(a, 'correct horse battery staple')).toBe(true);
    expect(await verifyPasswordHash(b, 'correct horse battery staple')).toBe(true);
  });

  test('a wrong password is false, including one that differs in case, spacing or one character', async () => {
    const phc = await hashPassword('Tr0ub4dor&3', small);
    for (const wrong of ['tr0ub4dor&3', 'Tr0ub4dor&3 ', ' Tr0ub4dor&3', 'Tr0ub4dor&4', 'Tr0ub4dor&', 'x']) {
      expect(await verifyPasswordHash(phc, wrong), wrong).toBe(false);
    }
  });

  test('passwords are compared in NFKC form: the "ﬁ" ligature is "fi", full-width letters are ASCII', async () => {
    const phc = await hashPassword('\ufb01sh and chips 42', small);
    expect(await verifyPasswordHash(phc, 'fish and chips 42')).toBe(true);
    const wide = await hashPassword('ＡＢＣｄｅｆ１２３', small);
    expect(await verifyPasswordHash(wide, 'ABCdef123')).toBe(true);
    // Composed and decomposed é are one password.
    const accent = await hashPassword('caf\u00e9 au lait', small);
    expect(await verifyPasswordHash(accent, 'cafe\u0301 au lait')).toBe(true);
  });

  test('a password that cannot be one is refused: empty, ill-formed text, over 1024 bytes', async () => {
    await rejects(hashPassword(''), 'auth.password_invalid');
    await rejects(hashPassword('abc\ud800def'), 'auth.password_invalid');
    await rejects(hashPassword('é'.repeat(513)), 'auth.password_invalid');
    const phc = await hashPassword('\ufffd', small);
    expect(await verifyPasswordHash(phc, '\ud800')).toBe(false); // not silently U+FFFD
    expect(await verifyPasswordHash(phc, '')).toBe(false);
    expect(await verifyPasswordHash(phc, 'a'.repeat(1_000_000))).toBe(false);
    expect(await verifyPasswordHash(await hashPassword('é'.repeat(512), small), 'é'.repeat(512))).toBe(true);
  });

  test('parameters outside the bounds are a configuration error', async () => {
    await rejects(hashPassword('pw', { ...small, memoryKiB: 4 }), 'auth.hash_params');
    await rejects(hashPassword('pw', { ...small, memoryKiB: 2 ** 20 }), 'auth.hash_params');
    await rejects(hashPassword('pw', { ...small, passes: 0 }), 'auth.hash_params');
    await rejects(hashPassword('pw', { ...small, parallelism: 1.5 }), 'auth.hash_params');
    await rejects(hashPassword('pw', { ...small, saltLength: 8 }), 'auth.hash_params');
    await rejects(hashPassword('pw', { ...small, hashLength: 8 }), 'auth.hash_params');
  });
});

describe('malformed and foreign hashes', () => {
  const valid = REFERENCE;
  const cases: Record<string, string> = {
    empty: '',
    'not PHC': 'password',
    bcrypt: '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy',
    argon2i: '$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA',
    argon2d: '$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$Jxy74cswY2mq9y+u+iJcJy8EqOp4t/C7DWDzGwGB3IM',
    'scrypt-like': '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
    'version 16': valid.replace('v=19', 'v=16'),
    'no version': valid.replace('v=19$', ''),
    'm = 2^32': valid.replace('m=65536', 'm=4294967296'),
    'm = 4 GiB': valid.replace('m=65536', 'm=4194304'),
    'm = 1 TiB in 10 digits': valid.replace('m=65536', 'm=1073741824'),
    'm below 8·p': valid.replace('m=65536', 'm=7'),
    't = 0': valid.replace('t=2', 't=0'),
    't = 1000': valid.replace('t=2', 't=1000'),
    'p = 0': valid.replace('p=1', 'p=0'),
    'p = 255': valid.replace('p=1', 'p=255'),
    'leading zero': valid.replace('m=65536', 'm=065536'),
    negative: valid.replace('t=2', 't=-2'),
    'parameters reordered': valid.replace('m=65536,t=2,p=1', 't=2,m=65536,p=1'),
    'extra parameter': valid.replace('p=1', 'p=1,keyid=abc'),
    'padded base64': `${valid}=`,
    'non-canonical base64': valid.replace(/c$/, 'd'),
    'url-safe base64': valid.replace('CTFh', 'CT-h'),
    'short salt': valid.replace('c29tZXNhbHQ', 'c29tZQ'),
    'short hash': '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO0',
    'no hash': '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ',
    'truncated in parameters': valid.slice(0, 22),
    'trailing newline': `${valid}\n`,
    huge: `$argon2id$v=19$m=65536,t=2,p=1$${'A'.repeat(100_000)}$${'A'.repeat(43)}`,
  };

  test.each(Object.entries(cases))('%s: false, without throwing and without hashing', async (_, phc) => {
    const started = performance.now();
    expect(await verifyPasswordHash(phc, 'password')).toBe(false);
    expect(performance.now() - started).toBeLessThan(50); // refused before any argon2 work (the cheapest here takes ~80 ms)
    expect(parsePhc(phc).ok).toBe(false);
    expect(needsRehash(phc, DEFAULT_ARGON2_PARAMS)).toBe(true);
  });

  test('no prefix of a valid hash verifies', async () => {
    // A prefix cut inside the tag can still be a well-formed hash with a shorter tag (PHC has no
    // length field), but argon2 output depends on the tag length, so it never matches.
    for (let i = 0; i < valid.length; i++) {
      expect(await verifyPasswordHash(valid.slice(0, i), 'password'), valid.slice(0, i)).toBe(false);
    }
    expect(await verifyPasswordHash(valid, 'password')).toBe(true);
  });

  test('non-strings are false too (a null column, a number)', async () => {
    expect(await verifyPasswordHash(null as unknown as string, 'password')).toBe(false);
    expect(await verifyPasswordHash(valid, undefined as unknown as string)).toBe(false);
    expect(await verifyPasswordHash(42 as unknown as string, 'password')).toBe(false);
  });

  test('the reasons say what is wrong without repeating the hash', () => {
    expect(parsePhc(cases['bcrypt']!)).toEqual({
      ok: false,
      reason: '2b hashes are not supported, only argon2id',
    });
    expect(parsePhc(cases['argon2i']!)).toEqual({
      ok: false,
      reason: 'argon2i hashes are not supported, only argon2id',
    });
    expect(parsePhc(cases['m = 4 GiB']!)).toEqual({ ok: false, reason: 'm must be 8·p–262144 KiB' });
    expect(parsePhc(cases['version 16']!)).toEqual({
      ok: false,
      reason: 'only argon2 version 19 is supported',
    });
  });
});

describe('interoperability', () => {
  test('the libargon2 reference vector verifies, and only with its password', async () => {
    expect(parsePhc(REFERENCE)).toMatchObject({
      ok: true,
      value: { memoryKiB: 65536, passes: 2, parallelism: 1 },
    });
    expect(await verifyPasswordHash(REFERENCE, 'password')).toBe(true);
    expect(await verifyPasswordHash(REFERENCE, 'Password')).toBe(false);
  });

  test('hashes made by @node-rs/argon2 (libargon2 encoding) verify here', async () => {
    const theirs = await nodeRsHash('correct horse battery staple');
    expect(theirs).toMatch(PHC);
    expect(await verifyPasswordHash(theirs, 'correct horse battery staple')).toBe(true);
    expect(await verifyPasswordHash(theirs, 'correct horse battery stapler')).toBe(false);
    // RFC 9106's second recommendation, with 4 lanes and a longer tag.
    const strong = await nodeRsHash('pässwörd ✓', {
      memoryCost: 65536,
      timeCost: 3,
      parallelism: 4,
      outputLen: 64,
    });
    expect(strong).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
    expect(await verifyPasswordHash(strong, 'pässwörd ✓')).toBe(true);
    expect(needsRehash(strong, DEFAULT_ARGON2_PARAMS)).toBe(true);
  });

  test('hashes made here verify with @node-rs/argon2', async () => {
    const ours = await hashPassword('correct horse battery staple');
    expect(await nodeRsVerify(ours, 'correct horse battery staple')).toBe(true);
    expect(await nodeRsVerify(ours, 'correct horse battery stapler')).toBe(false);
  });

  test('argon2i hashes from the same library are refused', async () => {
    const argon2i = await nodeRsHash('password', { algorithm: 1 });
    expect(argon2i.startsWith('$argon2i$')).toBe(true);
    expect(await verifyPasswordHash(argon2i, 'password')).toBe(false);
  });
});

describe('needsRehash', () => {
  test('false for the parameters the hash was made with, true when any of them changed', async () => {
    const phc = await hashPassword('pw', small);
    expect(needsRehash(phc, small)).toBe(false);
    expect(needsRehash(phc, { ...small, memoryKiB: 2048 })).toBe(true);
    expect(needsRehash(phc, { ...small, passes: 2 })).toBe(true);
    expect(needsRehash(phc, { ...small, parallelism: 2 })).toBe(true);
    expect(needsRehash(phc, { ...small, hashLength: 64 })).toBe(true);
    expect(needsRehash(phc, { ...small, saltLength: 32 })).toBe(true);
    expect(needsRehash(phc, { ...small, saltLength: 12 })).toBe(false); // a longer salt is no reason
    expect(needsRehash(REFERENCE)).toBe(true); // 8-byte salt, other costs
  });
});

describe('burnTime', () => {
  test('the dummy hash is a valid hash with the given parameters that the password does not match', async () => {
    expect(DUMMY_HASH).toMatch(PHC);
    expect(needsRehash(DUMMY_HASH, DEFAULT_ARGON2_PARAMS)).toBe(false);
    expect(needsRehash(dummyHash(small), small)).toBe(false);
    expect(await burnTime('password')).toBe(false);
    expect(await burnTime('password', small)).toBe(false);
    expect(await verifyPasswordHash(DUMMY_HASH, '')).toBe(false);
  });

  test('costs about what a real verification costs (wrong password, same parameters)', {
    retry: 2,
  }, async () => {
    const phc = await hashPassword('the real password');
    const time = async (run: () => Promise<boolean>) => {
      const started = performance.now();
      await run();
      return performance.now() - started;
    };
    const real: number[] = [];
    const burn: number[] = [];
    for (let i = 0; i < 8; i++) {
      real.push(await time(() => verifyPasswordHash(phc, 'a wrong guess')));
      burn.push(await time(() => burnTime('a wrong guess')));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
    // Loose bounds: a test machine is noisy; bench/password.ts measures it properly.
    expect(median(burn) / median(real)).toBeGreaterThan(0.7);
    expect(median(burn) / median(real)).toBeLessThan(1.4);
    // A real difference fails every try; a machine busy with other test files fails one.
  });
});
