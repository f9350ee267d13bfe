// The PHC string format of argon2id hashes, exactly as libargon2 writes it:
// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, standard base64 without padding. Other tools
// (the argon2 CLI, argon2-cffi/passlib, @node-rs/argon2, Go's x/crypto users) read and write the same.

export interface Argon2idHash {
  /** Memory in KiB (`m`). */
  memoryKiB: number;
  /** Passes over memory (`t`). */
  passes: number;
  /** Lanes (`p`). */
  parallelism: number;
  salt: Buffer;
  hash: Buffer;
}

/**
 * What a stored hash may ask of the server. A hash is data that can come from elsewhere (imports,
 * a restored backup, a tampered row); without bounds `m=4194304` would make one sign-in allocate
 * 4 GiB. The bounds admit RFC 9106's second recommendation (64 MiB, t=3, p=4) with room to spare.
 */
export const PHC_LIMITS = {
  maxMemoryKiB: 262_144, // 256 MiB
  maxPasses: 10,
  maxParallelism: 16,
  minSaltBytes: 8, // libargon2's minimum
  maxSaltBytes: 64,
  minHashBytes: 16,
  maxHashBytes: 64,
} as const;

export type PhcResult = { ok: true; value: Argon2idHash } | { ok: false; reason: string };

const SHAPE = /^\$([a-z0-9-]{1,32})\$(.*)$/s;
// Decimals without leading zeros, parameters in libargon2's order, no optional `keyid`/`data`.
const N = '(0|[1-9]\\d{0,9})';
const B64 = '([A-Za-z0-9+/]+)';
const ARGON2ID = new RegExp(`^v=${N}\\$m=${N},t=${N},p=${N}\\$${B64}\\$${B64}$`);

/** Why these cost parameters are refused, or undefined when they are within PHC_LIMITS. */
export function argon2ParamsProblem(params: {
  memoryKiB: number;
  passes: number;
  parallelism: number;
}): string | undefined {
  const { memoryKiB: m, passes: t, parallelism: p } = params;
  if (![m, t, p].every(Number.isSafeInteger)) return 'cost parameters must be integers';
  if (p < 1 || p > PHC_LIMITS.maxParallelism) return `p must be 1–${PHC_LIMITS.maxParallelism}`;
  if (t < 1 || t > PHC_LIMITS.maxPasses) return `t must be 1–${PHC_LIMITS.maxPasses}`;
  if (m < 8 * p || m > PHC_LIMITS.maxMemoryKiB) return `m must be 8·p–${PHC_LIMITS.maxMemoryKiB} KiB`;
  return undefined;
}

/** Strict: canonical base64 only, so one hash has one spelling. */
function base64(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === text ? bytes : undefined;
}

/** Reads an argon2id PHC string; anything else (other algorithms, versions, spellings) is refused. */
export function parsePhc(phc: string): PhcResult {
  const shape = typeof phc === 'string' && phc.length <= 512 ? SHAPE.exec(phc) : null;
  if (!shape) return { ok: false, reason: 'not a PHC hash string' };
  if (shape[1] !== 'argon2id')
    return { ok: false, reason: `${shape[1]} hashes are not supported, only argon2id` };
  const match = ARGON2ID.exec(shape[2]!);
  if (!match) return { ok: false, reason: 'malformed argon2id hash string' };
  const [, v, m, t, p, salt64, hash64] = match as unknown as string[];
  // Node's argon2 computes version 0x13 only; 0x10 hashes predate 2016.
  if (v !== '19') return { ok: false, reason: 'only argon2 version 19 is supported' };
  const params = { memoryKiB: Number(m), passes: Number(t), parallelism: Number(p) };
  const problem = argon2ParamsProblem(params);
  if (problem) return { ok: false, reason: problem };
  const salt = base64(salt64!);
  const hash = base64(hash64!);
  if (!salt || salt.length < PHC_LIMITS.minSaltBytes || salt.length > PHC_LIMITS.maxSaltBytes) {
    return { ok: false, reason: `salt must be ${PHC_LIMITS.minSaltBytes}–${PHC_LIMITS.maxSaltBytes} bytes` };
  }
  if (!hash || hash.length < PHC_LIMITS.minHashBytes || hash.length > PHC_LIMITS.maxHashBytes) {
    return { ok: false, reason: `hash must be ${PHC_LIMITS.minHashBytes}–${PHC_LIMITS.maxHashBytes} bytes` };
  }
  return { ok: true, value: { ...params, salt, hash } };
}

const unpadded = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

export function formatPhc(h: Argon2idHash): string {
  return `$argon2id$v=19$m=${h.memoryKiB},t=${h.passes},p=${h.parallelism}$${unpadded(h.salt)}$${unpadded(h.hash)}`;
}
