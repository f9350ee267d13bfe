import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { derToJose } from '../../src/keys/ecdsa.ts';

describe('derToJose: ECDSA signatures in the JWS form', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  test('every signature converts to 64 bytes that verify as IEEE P1363, including short r or s', () => {
    // About one signature in 128 has an r or s below 2^248, whose DER integer is shorter than 32
    // bytes: 3,000 signatures meet several of them.
    let short = 0;
    for (let i = 0; i < 3_000; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign('sha256', data, privateKey);
      if (der.length < 70) short++;
      const jose = derToJose(der, 32);
      expect(jose).toHaveLength(64);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
    }
    expect(short).toBeGreaterThan(0);
  });

  test('refuses what is not a DER signature of the curve size', () => {
    const der = sign('sha256', Buffer.from('x'), privateKey);
    expect(() => derToJose(der.subarray(0, der.length - 1), 32)).toThrow('bad DER signature');
    expect(() => derToJose(Buffer.from([0x31, ...der.subarray(1)]), 32)).toThrow('bad DER signature');
    expect(() => derToJose(der, 16)).toThrow('bad DER signature');
  });
});
