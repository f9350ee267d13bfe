import { createHash, type webcrypto } from 'node:crypto';

const MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

/** RFC 7638 JWK thumbprint (SHA-256, base64url): a key id that anyone can recompute. */
export function thumbprint(jwk: webcrypto.JsonWebKey): string {
  const members = MEMBERS[jwk.kty as string];
  if (!members) throw new TypeError(`unsupported key type ${String(jwk.kty)}`);
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m as keyof webcrypto.JsonWebKey])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}
