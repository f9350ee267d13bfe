import { createCipheriv, createDecipheriv, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM with a random 96-bit nonce. The associated data binds a ciphertext to where it
 * belongs (a key id, a table row) so that it cannot be moved elsewhere.
 * Format: `v1.<nonce>.<ciphertext+tag>` in base64url. Hot paths pass a KeyObject: Node prepares a
 * Buffer key anew on every call, which costs ten times the decryption of a short text.
 */
export function seal(key: Buffer | KeyObject, plaintext: Buffer, aad: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `v1.${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

/** Returns undefined when the text was not sealed with this key and associated data. */
export function unseal(key: Buffer | KeyObject, sealed: string, aad: string): Buffer | undefined {
  const [version, nonce, body] = sealed.split('.');
  if (version !== 'v1' || !nonce || !body) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  const iv = Buffer.from(nonce, 'base64url');
  if (bytes.length < 16 || iv.length !== 12) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** A subkey for one purpose, so one secret never serves two uses. */
export function deriveKey(secret: Buffer, purpose: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `gatehouse:${purpose}`, length));
}
