import { type KeyObject, sign } from 'node:crypto';
import { ExternalSigningKey } from 'oidc-provider';
import { derToJose } from '../../src/keys/ecdsa.ts';
import type { KeyRing, SigningAlg, SigningKey } from '../../src/keys/keyring.ts';

/**
 * A key of the key ring as the provider uses it. Signing is done here with Node's synchronous
 * `crypto.sign` (the provider's default goes through WebCrypto, whose per-call thread hop cost a
 * third of a client-credentials grant). The private key never leaves the key ring's KeyObject.
 */
class KeyRingKey extends ExternalSigningKey {
  readonly #key: SigningKey;
  readonly #verifyOnly: boolean;

  constructor(key: SigningKey, verifyOnly: boolean) {
    super();
    this.#key = key;
    this.#verifyOnly = verifyOnly;
    // The provider's class has setters for both; its type declarations omit them.
    const writable = this as unknown as { kid: string; alg: string };
    writable.kid = key.kid;
    writable.alg = key.alg;
  }

  /** Staged and retiring keys are published and verify, but never sign. */
  override get key_ops(): string[] | undefined {
    return this.#verifyOnly ? ['verify'] : undefined;
  }

  override keyObject(): KeyObject {
    return this.#key.publicKey;
  }

  override sign(data: Uint8Array): Uint8Array {
    const { alg, privateKey } = this.#key;
    // The bare KeyObject, not `{ key, dsaEncoding }`: see derToJose.
    if (alg === 'ES256') return derToJose(sign('sha256', data, privateKey), 32);
    if (alg === 'RS256') return sign('sha256', data, privateKey);
    return sign(null, data, privateKey);
  }
}

/**
 * The provider's key set, from the key ring: for each algorithm the key that signs now comes first
 * and is the only one allowed to sign; staged keys (published ahead of use) and retiring keys
 * (still verifying during the overlap) are marked verify-only, so the provider publishes them in
 * its JWKS but never signs with them.
 */
export function providerJwks(keys: KeyRing): { keys: ExternalSigningKey[] } {
  const out: ExternalSigningKey[] = [];
  for (const alg of ['ES256', 'RS256', 'EdDSA'] as const satisfies readonly SigningAlg[]) {
    const signing = currentKey(keys, alg);
    if (signing) out.push(new KeyRingKey(signing, false));
    for (const key of keys.verificationKeys(alg)) {
      if (key.kid !== signing?.kid) out.push(new KeyRingKey(key, true));
    }
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
