import type { KeyRing, SigningAlg, SigningKey } from '../../src/keys/keyring.ts';

export type PrivateJwk = Record<string, unknown> & { kid: string; alg: string; use: 'sig' };

/**
 * The provider's key set, from the key ring: for each algorithm the key that signs now comes first
 * and is the only one allowed to sign; staged keys (published ahead of use) and retiring keys
 * (still verifying during the overlap) are marked verify-only, so the provider publishes them in
 * its JWKS but never signs with them.
 */
export function providerJwks(keys: KeyRing): { keys: PrivateJwk[] } {
  const out: PrivateJwk[] = [];
  for (const alg of ['ES256', 'RS256', 'EdDSA'] as const satisfies readonly SigningAlg[]) {
    const signing = currentKey(keys, alg);
    const verifying = keys.verificationKeys(alg).filter((k) => k.kid !== signing?.kid);
    if (signing) out.push(privateJwk(signing));
    for (const key of verifying) out.push({ ...privateJwk(key), key_ops: ['verify'] });
  }
  return { keys: out };
}

/**
 * What the provider's key set depends on: which keys exist and which one signs per algorithm.
 * When it changes (rotation, a staged key activating, a retired key leaving), the provider is
 * rebuilt with the new set.
 */
export function keysFingerprint(keys: KeyRing): string {
  const signing = (['ES256', 'RS256', 'EdDSA'] as const).map((alg) => currentKey(keys, alg)?.kid ?? '-');
  return `${signing.join(',')}|${keys
    .verificationKeys()
    .map((k) => k.kid)
    .join(',')}`;
}

function currentKey(keys: KeyRing, alg: SigningAlg): SigningKey | undefined {
  try {
    return keys.signingKey(alg);
  } catch {
    return undefined;
  }
}

function privateJwk(key: SigningKey): PrivateJwk {
  const jwk = key.privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { ...jwk, kid: key.kid, alg: key.alg, use: 'sig' };
}
