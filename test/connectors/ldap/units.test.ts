// Small pure parts: AD bind sub-codes, GUIDs, DN keys, dialect detection, high-water marks.
import { describe, expect, test } from 'vitest';
import { adBindFailure, adSubCode, ppolicyFailure } from '../../../connectors/ldap/bind-errors.ts';
import { normalizeDn } from '../../../connectors/ldap/dn.ts';
import { parseDuration } from '../../../connectors/ldap/duration.ts';
import { guidToBytes, guidToString } from '../../../connectors/ldap/guid.ts';
import { detectDialect } from '../../../connectors/ldap/settings.ts';
import { changedSince, decodeMark, encodeMark } from '../../../connectors/ldap/watermark.ts';

const adMessage = (code: string) =>
  `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${code}, v4563\u0000`;

describe('AD bind sub-codes', () => {
  test.each([
    ['52e', 'invalid_credentials'],
    ['525', 'invalid_credentials'],
    ['530', 'not_permitted'],
    ['531', 'not_permitted'],
    ['532', 'expired'],
    ['533', 'disabled'],
    ['701', 'expired'],
    ['773', 'must_change'],
    ['775', 'locked'],
    ['52E', 'invalid_credentials'],
  ])('data %s → %s', (code, reason) => {
    expect(adBindFailure(adMessage(code))).toBe(reason);
  });

  test('Samba wording and unknown codes', () => {
    expect(
      adSubCode('80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 533, v1db1'),
    ).toBe('533');
    expect(adSubCode('Invalid credentials')).toBeNull();
    expect(adBindFailure('Invalid credentials')).toBe('invalid_credentials');
    expect(adBindFailure(adMessage('999'))).toBe('invalid_credentials');
    expect(adSubCode('metadata 533')).toBeNull();
  });

  test('ppolicy errors', () => {
    expect(ppolicyFailure(0)).toBe('expired');
    expect(ppolicyFailure(1)).toBe('locked');
    expect(ppolicyFailure(2)).toBe('must_change');
    expect(ppolicyFailure(undefined)).toBeNull();
    expect(ppolicyFailure(5)).toBeNull();
  });
});

describe('objectGUID', () => {
  // The documented example: bytes as stored vs the string Windows shows.
  const bytes = Uint8Array.from([
    0x9c, 0xf1, 0x5a, 0x34, 0x2d, 0x1e, 0x3b, 0x4f, 0x8a, 0x2e, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
  ]);
  test('mixed-endian canonical string and back', () => {
    expect(guidToString(bytes)).toBe('345af19c-1e2d-4f3b-8a2e-112233445566');
    expect([...guidToBytes('345AF19C-1E2D-4F3B-8A2E-112233445566')!]).toEqual([...bytes]);
    expect(guidToBytes('not-a-guid')).toBeNull();
    expect(() => guidToString(bytes.slice(1))).toThrow();
  });
});

describe('normalizeDn', () => {
  test('case, spacing and escaping do not matter', () => {
    const a = normalizeDn('CN=Smith\\, John , OU=People,DC=Example,DC=org');
    expect(normalizeDn('cn=smith\\2C john,ou=people,dc=example,dc=org')).toBe(a);
    expect(normalizeDn('cn=Smith\\2c John,OU=people,  dc=EXAMPLE,dc=org')).toBe(a);
    expect(normalizeDn('cn=a+uid=b,dc=x')).toBe(normalizeDn('UID=b+CN=a,dc=x'));
    expect(normalizeDn('cn=a,dc=x')).not.toBe(normalizeDn('cn=b,dc=x'));
    expect(normalizeDn('cn=J\\C3\\BCrgen,dc=x')).toBe(normalizeDn('cn=jürgen,dc=x'));
  });
});

describe('dialect detection', () => {
  test('AD capability or forest functionality → active-directory', () => {
    expect(detectDialect({ supportedcapabilities: ['1.2.840.113556.1.4.800'] })).toBe('active-directory');
    expect(detectDialect({ forestfunctionality: ['7'], supportedcapabilities: [] })).toBe('active-directory');
    expect(
      detectDialect({ forestfunctionality: [], isglobalcatalogready: [], supportedcapabilities: [] }),
    ).toBe('openldap');
  });
});

describe('high-water marks and durations', () => {
  test('marks round-trip; anything else is refused', () => {
    const ad = { v: 1, d: 'ad', server: 'CN=NTDS Settings,CN=DC1', usn: '4711' } as const;
    expect(decodeMark(encodeMark(ad))).toEqual(ad);
    expect(decodeMark(encodeMark({ v: 1, d: 'ol', time: '20240101120000Z' }))).toEqual({
      v: 1,
      d: 'ol',
      time: '20240101120000Z',
    });
    const ol = {
      v: 1,
      d: 'ol',
      time: '20240101120000Z',
      csn: '20240101120000.123456Z#000000#000#000000',
    } as const;
    expect(decodeMark(encodeMark(ol))).toEqual(ol);
    expect(changedSince(ol)).toEqual({ attribute: 'entryCSN', value: ol.csn });
    expect(changedSince(ad)).toEqual({ attribute: 'uSNChanged', value: '4712' });
    expect(decodeMark(JSON.stringify({ ...ol, csn: '*' }))).toBeNull();
    for (const bad of [
      '',
      'x',
      '{}',
      '{"v":1,"d":"ad","server":"x","usn":"1 OR 1"}',
      '{"v":1,"d":"ol","time":"(x=*)"}',
      'null',
    ]) {
      expect(decodeMark(bad)).toBeNull();
    }
  });

  test('durations', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('6h')).toBe(21_600_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration(1000)).toBe(1000);
    expect(parseDuration('6 hours')).toBeNull();
    expect(parseDuration(-1)).toBeNull();
  });
});
