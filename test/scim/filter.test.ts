// The SCIM filter grammar: a corpus of valid and invalid filters, and fuzzing. Every failure is a
// GatehouseError with code scim.invalidFilter, whatever the input; never anything else.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseFilter, parsePatchPath } from '../../providers/scim/filter/parser.ts';
import { GatehouseError } from '../../src/errors.ts';
import { GROUP_ATTRS, USER_ATTRS } from '../../src/scim/attributes.ts';
import type { Filter } from '../../src/scim/filter-ast.ts';
import { compileFilter } from '../../src/scim/filter-sql.ts';
import { sqlParams } from '../../src/store/sql.ts';
import { damaged, grammarFilter } from './arbitraries.ts';

/** parse + compile for users; returns the SQL, or the error code. */
function outcome(text: string, attrs = USER_ATTRS): { sql: string; values: unknown[] } | string {
  try {
    const { values, param } = sqlParams();
    return { sql: compileFilter(parseFilter(text), attrs, param), values };
  } catch (error) {
    if (error instanceof GatehouseError) return error.code;
    throw error;
  }
}

// RFC 7644 §3.4.2.2 examples, and what real senders send.
const VALID = [
  'userName eq "bjensen"',
  `name.familyName co "O'Malley"`,
  'userName sw "J"',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
  'title pr',
  'meta.lastModified gt "2011-05-13T04:42:34Z"',
  'meta.lastModified ge "2011-05-13T04:42:34Z"',
  'meta.lastModified lt "2011-05-13T04:42:34Z"',
  'meta.lastModified le "2011-05-13T04:42:34+02:00"',
  'title pr and userType eq "Employee"',
  'title pr or userType eq "Intern"',
  'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
  'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
  'userType eq "Employee" and (emails.type eq "work")',
  'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
  'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
  'USERNAME EQ "x" AND ACTIVE EQ true',
  'active eq false',
  'active ne true',
  'externalId eq null',
  'externalId ne null',
  'displayName ew "son"',
  'userName eq "a \\"quoted\\" \\\\ name \\u00e9"',
  'not (userName eq "a")',
  '((userName eq "a"))',
  'emails pr',
  'emails[primary eq true]',
  'groups.value eq "7a0ec3b8-2b3c-4d57-9b7b-0a5c8d1d1f00"',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"',
  'department eq "Sales"',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1"',
  'id eq "not-a-uuid"',
  'id eq "7A0EC3B8-2B3C-4D57-9B7B-0A5C8D1D1F00"',
  'phoneNumbers[type eq "mobile"].value eq "1"'.replace('.value eq "1"', ' and userName pr'),
  'addresses[postalCode sw "75"]',
  'userName gt "m" and userName le "z"',
  'externalId eq 12345',
  'name.formatted co "Jens"',
  'meta.created pr',
];

const INVALID = [
  '',
  '   ',
  'userName',
  'userName eq',
  'userName xx "a"',
  'userName eq "unterminated',
  '(userName eq "a"',
  'userName eq "a")',
  'not userName eq "a"',
  'userName eq "a" and',
  'and userName eq "a"',
  'userName eq "a" or',
  'emails[type eq "work"',
  'emails[type eq "work"]]',
  'emails[value[type eq "a"]]',
  'userName eq "a" "b"',
  'userName eq True',
  "userName eq 'single'",
  'userName eq "\u0001"',
  'userName eq "bad \\x escape"',
  '1userName eq "a"',
  'name.givenName.x eq "a"',
  '()',
  'userName eq "a" userName eq "b"',
  'userName @ "a"',
  'userName eq "a" and or userName eq "b"',
  'emails[type eq "work"].value eq "x"',
  'nosuch eq "a"',
  'active gt true',
  'active eq "yes"',
  'active co "t"',
  'meta.created eq "yesterday"',
  'meta.created co "2020"',
  'meta.created gt 2020',
  'name eq "a"',
  'emails.nosuch eq "a"',
  'userName[value eq "a"]',
  'emails[nosuch eq "x"]',
  'emails[emails.value eq "x"]',
  'urn:example:foo:userName eq "a"',
  'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "a"',
  'userName gt true',
  'userName co null',
  'manager eq "x"',
  `${'('.repeat(40)}userName eq "a"${')'.repeat(40)}`,
  Array.from({ length: 150 }, (_, i) => `userName eq "${i}"`).join(' or '),
  `userName eq "${'x'.repeat(5000)}"`,
];

describe('SCIM filter parser', () => {
  test.each(VALID)('valid: %s', (text) => {
    const result = outcome(text);
    expect(typeof result, String(result)).toBe('object');
  });

  test.each(INVALID)('invalid: %s', (text) => {
    expect(outcome(text)).toBe('scim.invalidFilter');
  });

  test('precedence: not > and > or; keywords case-insensitive', () => {
    const shape = (f: Filter): unknown => {
      switch (f.kind) {
        case 'and':
        case 'or':
          return [f.kind, shape(f.left), shape(f.right)];
        case 'not':
          return ['not', shape(f.filter)];
        case 'valuePath':
          return [f.path.attr, shape(f.filter)];
        default:
          return f.path.attr;
      }
    };
    expect(shape(parseFilter('a eq 1 or b eq 2 and c eq 3'))).toEqual(['or', 'a', ['and', 'b', 'c']]);
    expect(shape(parseFilter('(a eq 1 OR b eq 2) And c eq 3'))).toEqual(['and', ['or', 'a', 'b'], 'c']);
    expect(shape(parseFilter('not (a pr) and b pr'))).toEqual(['and', ['not', 'a'], 'b']);
    expect(shape(parseFilter('a pr or b pr or c pr'))).toEqual(['or', ['or', 'a', 'b'], 'c']);
    expect(shape(parseFilter('emails[type eq "work" or primary eq true]'))).toEqual([
      'emails',
      ['or', 'type', 'primary'],
    ]);
    expect(parseFilter('eq eq "eq"')).toMatchObject({
      kind: 'compare',
      path: { attr: 'eq' },
      op: 'eq',
      value: 'eq',
    });
  });

  test('values: JSON strings with escapes, numbers, true, false, null; never in the SQL text', () => {
    const result = outcome('userName eq "Robert\'); drop table users; --" or displayName co "%_\\\\"') as {
      sql: string;
      values: unknown[];
    };
    expect(result.sql).not.toContain('drop table');
    expect(result.values).toEqual(["robert'); drop table users; --", '%\\%\\_\\\\%']);
    expect(parseFilter('externalId eq -1.5e3')).toMatchObject({ value: -1500 });
    expect(parseFilter('active eq false')).toMatchObject({ value: false });
  });

  test('groups: members filters, as Entra ID checks a membership', () => {
    const result = outcome(
      'id eq "7a0ec3b8-2b3c-4d57-9b7b-0a5c8d1d1f00" and members[value eq "0b6a4bb9-c9d3-4c31-9c8a-1c8f9a5b3e11"]',
      GROUP_ATTRS,
    );
    expect(typeof result).toBe('object');
    expect(outcome('members.type eq "User"', GROUP_ATTRS)).toMatchObject({});
    expect(outcome('userName eq "a"', GROUP_ATTRS)).toBe('scim.invalidFilter');
  });

  test('PATCH paths: attribute, value filter, sub-attribute after the brackets', () => {
    expect(parsePatchPath('emails[type eq "work"].value')).toMatchObject({
      path: { attr: 'emails' },
      filter: { kind: 'compare', op: 'eq', value: 'work' },
      sub: 'value',
    });
    expect(
      parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager'),
    ).toMatchObject({
      path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'manager' },
    });
    expect(parsePatchPath('members[value eq "x"]')).toMatchObject({ path: { attr: 'members' } });
    for (const bad of [
      '',
      'emails[',
      'emails[type eq "work"]x',
      'a b',
      'emails[type eq "w"].',
      'name.givenName[value eq "x"]',
    ])
      expect(() => parsePatchPath(bad), bad).toThrow(expect.objectContaining({ code: 'scim.invalidPath' }));
  });
});

// ---- fuzzing ---------------------------------------------------------------------------------

describe('SCIM filter fuzzing', () => {
  const onlyInvalidFilter = (text: string) => {
    const result = outcome(text);
    if (typeof result === 'string') expect(result).toBe('scim.invalidFilter');
  };
  test('arbitrary strings: parsed or invalidFilter, nothing else', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), onlyInvalidFilter), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 100 }), onlyInvalidFilter), {
      numRuns: 1000,
    });
  });
  test('grammar-shaped and damaged filters: compiled or invalidFilter', () => {
    fc.assert(fc.property(grammarFilter, onlyInvalidFilter), { numRuns: 2000 });
    fc.assert(fc.property(damaged, onlyInvalidFilter), { numRuns: 2000 });
  });
});
