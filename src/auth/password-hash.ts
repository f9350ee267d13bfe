// Built-in users' passwords: argon2id with Node's own implementation (node:crypto, Node ≥ 24.7),
// stored as standard PHC strings so hashes move in and out of other tools unchanged.
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { GatehouseError } from '../errors.ts';
import { passwordBytes } from './password-text.ts';
import { type Argon2idHash, argon2ParamsProblem, formatPhc, parsePhc } from './phc.ts';

export interface Argon2Params {
  /** Memory in KiB. */
  memoryKiB: number;
  passes: number;
  parallelism: number;
  saltLength: number;
  hashLength: number;
}

/** OWASP's first argon2id recommendation: 19 MiB, 2 passes, 1 lane (a 16-byte salt, a 32-byte hash). */
export const DEFAULT_ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryKiB: 19_456,
  passes: 2,
  parallelism: 1,
  saltLength: 16,
  hashLength: 32,
});

/** Runs on libuv's thread pool: the event loop stays free while a hash is computed. */
function argon2id(message: Buffer, h: Omit<Argon2idHash, 'hash'>, tagLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message,
        nonce: h.salt,
        memory: h.memoryKiB,
        passes: h.passes,
        parallelism: h.parallelism,
        tagLength,
      },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

function checkParams(params: Argon2Params): void {
  const problem =
    argon2ParamsProblem(params) ??
    (params.saltLength >= 16 && params.saltLength <= 64 ? undefined : 'saltLength must be 16–64') ??
    (params.hashLength >= 16 && params.hashLength <= 64 ? undefined : 'hashLength must be 16–64');
  if (problem) throw new GatehouseError('invalid', 'auth.hash_params', `argon2id parameters: ${problem}`);
}

/** Hashes a new password (NFKC-normalised) into a PHC string with a fresh random salt. */
export async function hashPassword(
  password: string,
  params: Argon2Params = DEFAULT_ARGON2_PARAMS,
): Promise<string> {
  checkParams(params);
  const bytes = passwordBytes(password);
  if (!bytes) {
    throw new GatehouseError(
      'invalid',
      'auth.password_invalid',
      'The password is empty, too long or not valid text.',
    );
  }
  const h = { ...params, salt: randomBytes(params.saltLength) };
  return formatPhc({ ...h, hash: await argon2id(bytes, h, params.hashLength) });
}

/**
 * Whether the password matches the stored hash. Never throws: a malformed, foreign or
 * out-of-bounds hash, and a password that cannot be one (empty, too long), are simply false.
 */
export async function verifyPasswordHash(phc: string, password: string): Promise<boolean> {
  try {
    const parsed = parsePhc(phc);
    const bytes = passwordBytes(password);
    if (!parsed.ok || !bytes) return false;
    const derived = await argon2id(bytes, parsed.value, parsed.value.hash.length);
    return timingSafeEqual(derived, parsed.value.hash);
  } catch {
    return false;
  }
}

/** Whether a stored hash should be replaced (on the next successful sign-in) to match `params`. */
export function needsRehash(phc: string, params: Argon2Params = DEFAULT_ARGON2_PARAMS): boolean {
  const parsed = parsePhc(phc);
  if (!parsed.ok) return true;
  const h = parsed.value;
  return (
    h.memoryKiB !== params.memoryKiB ||
    h.passes !== params.passes ||
    h.parallelism !== params.parallelism ||
    h.hash.length !== params.hashLength ||
    h.salt.length < params.saltLength
  );
}

/** A well-formed hash that no password matches in practice (its tag is all zeros). */
export function dummyHash(params: Argon2Params = DEFAULT_ARGON2_PARAMS): string {
  return formatPhc({
    memoryKiB: params.memoryKiB,
    passes: params.passes,
    parallelism: params.parallelism,
    salt: Buffer.alloc(params.saltLength, 0x5a),
    hash: Buffer.alloc(params.hashLength),
  });
}

export const DUMMY_HASH: string = dummyHash();

/**
 * Costs what verifying against a real hash of these parameters costs, through the same code path,
 * and is always false: call it for unknown users (and users without a password) so that the
 * response time does not tell whether an account exists.
 */
export async function burnTime(
  password: string,
  params: Argon2Params = DEFAULT_ARGON2_PARAMS,
): Promise<false> {
  const phc = params === DEFAULT_ARGON2_PARAMS ? DUMMY_HASH : dummyHash(params);
  await verifyPasswordHash(phc, password);
  return false;
}
