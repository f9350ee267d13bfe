// RFC 4515 escaping, the filter builder, and our filter parser (bytes preserved end to end).
import fc from 'fast-check';
import { BerReader, BerWriter, type Filter, FilterParser } from 'ldapts';
import { describe, expect, test } from 'vitest';
import {
  and,
  eq,
  eqBytes,
  escapeValue,
  extensible,
  ge,
  IN_CHAIN,
  not,
  or,
  present,
} from '../../../connectors/ldap/filter.ts';
import { filterError, parseFilter } from '../../../connectors/ldap/filter-parse.ts';

/** What goes on the wire for a filter. */
function wire(f: Filter): Buffer {
  const w = new BerWriter();
  f.write(w);
  return w.buffer;
}

describe('escapeValue', () => {
  test.each([
    ['*', '\\2a'],
    ['(', '\\28'],
    [')', '\\29'],
    ['\\', '\\5c'],
    ['\0', '\\00'],
    ['a*b(c)d\\e', 'a\\2ab\\28c\\29d\\5ce'],
    ['é', '\\c3\\a9'],
    ['日本', '\\e6\\97\\a5\\e6\\9c\\ac'],
    ['plain-text.42@x', 'plain-text.42@x'],
    ['', ''],
  ])('%j → %s', (input, expected) => {
    expect(escapeValue(input)).toBe(expected);
  });

  test('escaped output never contains filter syntax or non-ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = escapeValue(s);
        expect(out).toMatch(/^(?:[\x20-\x27\x2b-\x5b\x5d-\x7e]|\\[0-9a-f]{2})*$/);
      }),
    );
  });

  test('escape then parse gives back the exact bytes (equality)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const f = parseFilter(eq('uid', s));
        const expected = new (f.constructor as new (o: object) => Filter)({ attribute: 'uid', value: s });
        expect(wire(f).equals(wire(expected))).toBe(true);
      }),
    );
  });

  test('binary values (objectGUID) survive as bytes', () => {
    const bytes = Uint8Array.from([0x00, 0xff, 0x2a, 0x28, 0x80, 0xc3, 0x28, 0x5c]);
    const f = parseFilter(eqBytes('objectGUID', bytes)) as unknown as { value: Buffer };
    expect(Buffer.isBuffer(f.value)).toBe(true);
    expect([...f.value]).toEqual([...bytes]);
  });

  test('non-ASCII is sent as UTF-8, not one character per byte (ldapts parser bug)', () => {
    const ours = wire(parseFilter(eq('cn', 'Jürgen')));
    expect(ours.includes(Buffer.from('Jürgen', 'utf8'))).toBe(true);
    // ldapts' own parser turns \c3\bc into two characters: "JÃ¼rgen".
    const theirs = wire(FilterParser.parseString(eq('cn', 'Jürgen')));
    expect(theirs.includes(Buffer.from('Jürgen', 'utf8'))).toBe(false);
  });
});

describe('builder', () => {
  test('composes and validates attribute names', () => {
    expect(and('(objectClass=person)', or(eq('uid', 'a*'), eq('mail', 'a*')))).toBe(
      '(&(objectClass=person)(|(uid=a\\2a)(mail=a\\2a)))',
    );
    expect(and('(a=1)', null, undefined)).toBe('(a=1)');
    expect(not(present('x'))).toBe('(!(x=*))');
    expect(ge('modifyTimestamp', '20240101000000Z')).toBe('(modifyTimestamp>=20240101000000Z)');
    expect(extensible('member', IN_CHAIN, 'CN=a\\,b,DC=x')).toBe(
      '(member:1.2.840.113556.1.4.1941:=CN=a\\5c,b,DC=x)',
    );
    expect(() => eq('uid)(x', 'a')).toThrow(/attribute/);
    expect(() => eq('', 'a')).toThrow(/attribute/);
  });
});

describe('parseFilter', () => {
  test.each([
    '(objectClass=*)',
    '(&(objectCategory=person)(objectClass=user))',
    '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))',
    '(!(cn=x))',
    '(cn=a*b*c)',
    '(cn=*b)',
    '(cn=a*)',
    '(uSNChanged>=12345)',
    '(cn<=m)',
    '(cn~=x)',
    '(userAccountControl:1.2.840.113556.1.4.803:=2)',
    '(member:1.2.840.113556.1.4.1941:=CN=x,DC=y)',
    '(cn:dn:2.4.6.8.10:=x)',
    '(:dn:2.4.6.8.10:=x)',
    '(pwdAccountLockedTime=000001010000Z)',
    '(cn;lang-de=x)',
    '(2.5.4.3=x)',
  ])('accepts %s', (text) => {
    expect(filterError(text)).toBeNull();
  });

  test.each([
    'objectClass=*',
    '(cn=x',
    '(cn=x))',
    '(cn=(x)',
    '(=x)',
    '(cn=\\zz)',
    '(cn>x)',
    '(cn:=x:=y)x',
    '(&(cn=x)',
    '(cn=a)(cn=b)',
    '(uid=)(|(uid=*)',
  ])('rejects %s', (text) => {
    expect(filterError(text)).not.toBeNull();
  });

  test('encodes like ldapts for plain ASCII filters', () => {
    for (const text of ['(&(objectClass=user)(|(cn=a*b)(sn=c)))', '(!(x=*))', '(a>=5)']) {
      expect(wire(parseFilter(text)).equals(wire(FilterParser.parseString(text)))).toBe(true);
    }
  });

  test('round-trips through the BER reader', () => {
    const f = parseFilter('(&(uid=j\\c3\\bcrgen)(cn=*x*))');
    const back = FilterParser.parse(new BerReader(wire(f)));
    expect(back.toString()).toContain('jürgen');
  });
});
