import { createHash, type KeyObject, sign } from 'node:crypto';
import type { KeyRing, SigningKey } from '../../src/keys/keyring.ts';
import { bitString, explicit, integer, nullValue, oid, sequence, set, time, utf8 } from './der.ts';

export interface SamlSigningCredential {
  kid: string;
  /**
   * The private key itself: handed to samlify (and through it xml-crypto, which passes it to
   * crypto.sign) as it is, so no signature re-parses a PEM.
   */
  privateKey: KeyObject;
  /** The self-signed certificate, base64 DER (what metadata and KeyInfo carry). */
  certificate: string;
  activatesAt: Date;
}

const cache = new Map<string, SamlSigningCredential>();
const EARLIEST = Date.UTC(2025, 0, 1);
const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), nullValue());

/**
 * SAML peers want an X.509 certificate; the key ring has bare RS256 keys. Each key gets a
 * self-signed certificate derived from the key alone: the serial is a hash of the key id, the
 * validity is fixed, and RSA PKCS#1 v1.5 signatures are deterministic, so every node (and every
 * restart) makes the very same certificate without storing it. SPs pin the certificate, not a CA,
 * so self-signed is what they expect.
 */
export function credentialFor(key: SigningKey, entityId: string): SamlSigningCredential {
  const cacheKey = `${key.kid}\u0000${entityId}`;
  let found = cache.get(cacheKey);
  if (!found) {
    found = {
      kid: key.kid,
      privateKey: key.privateKey,
      certificate: selfSignedCertificate(key, entityId).toString('base64'),
      activatesAt: key.activatesAt,
    };
    cache.set(cacheKey, found);
  }
  return found;
}

export function selfSignedCertificate(
  key: Pick<SigningKey, 'kid' | 'privateKey' | 'publicKey' | 'activatesAt'>,
  entityId: string,
): Buffer {
  const name = sequence(
    set(sequence(oid('2.5.4.10'), utf8('Gatehouse SAML signing'))),
    set(sequence(oid('2.5.4.3'), utf8(commonName(entityId)))),
  );
  const serial = createHash('sha256').update(key.kid).digest().subarray(0, 16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and non-zero
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    SHA256_WITH_RSA,
    name,
    sequence(
      time(new Date(Math.max(EARLIEST, key.activatesAt.getTime()))),
      time(new Date(Date.UTC(2099, 11, 31))),
    ),
    name,
    key.publicKey.export({ type: 'spki', format: 'der' }),
  );
  return sequence(tbs, SHA256_WITH_RSA, bitString(sign('sha256', tbs, key.privateKey)));
}

/** The host of the entity ID, without characters that would need escaping in a name. */
function commonName(entityId: string): string {
  let host = entityId;
  try {
    host = new URL(entityId).host || entityId;
  } catch {}
  return host.replace(/[^A-Za-z0-9.:-]/g, '').slice(0, 64) || 'gatehouse';
}

/** The RS256 key that signs now, with its certificate. */
export const currentCredential = (keys: KeyRing, entityId: string): SamlSigningCredential =>
  credentialFor(keys.signingKey('RS256'), entityId);

/**
 * Every RS256 key that verifies (the signing one, a staged next one, retiring ones): metadata lists
 * all their certificates, so SPs learn the next certificate before it signs anything.
 */
export const publishedCredentials = (keys: KeyRing, entityId: string): SamlSigningCredential[] =>
  keys.verificationKeys('RS256').map((k) => credentialFor(k, entityId));

export const pemCertificate = (base64: string): string =>
  `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
