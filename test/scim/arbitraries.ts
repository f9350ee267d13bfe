// Filter texts for fuzzing: from the SCIM grammar (and near it), and the same with random damage.
import fc from 'fast-check';

const ATTRS = [
  'userName',
  'USERNAME',
  'displayName',
  'name.givenName',
  'name.familyName',
  'active',
  'externalId',
  'id',
  'emails',
  'emails.value',
  'emails.type',
  'emails.primary',
  'meta.created',
  'meta.lastModified',
  'title',
  'department',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  'groups.value',
  'phoneNumbers.type',
  'addresses.locality',
  'nosuch',
  'name',
  'x.y.z',
];
const OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Co', 'xx'];
const value = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('true', 'false', 'null', '"2026-01-31T12:00:00Z"', '"yesterday"', '"True"'),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
);
const attrExp = fc.oneof(
  fc.tuple(fc.constantFrom(...ATTRS), fc.constantFrom(...OPS), value).map(([a, o, v]) => `${a} ${o} ${v}`),
  fc.constantFrom(...ATTRS).map((a) => `${a} pr`),
);
/** Filters from the grammar (and near it: unknown attributes and operators, wrong types). */
export const grammarFilter: fc.Arbitrary<string> = fc.letrec((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    attrExp,
    fc
      .tuple(tie('filter'), fc.constantFrom('and', 'or', 'AND', 'Or'), tie('filter'))
      .map(([l, op, r]) => `${l} ${op} ${r}`),
    tie('filter').map((f) => `not (${f})`),
    tie('filter').map((f) => `(${f})`),
    fc
      .tuple(fc.constantFrom('emails', 'phoneNumbers', 'addresses', 'userName', 'groups'), attrExp)
      .map(([a, inner]) => `${a}[${inner.replace(/^[^ ]+/, (n) => n.split('.').at(-1)!)}]`),
  ),
})).filter as fc.Arbitrary<string>;
/** Grammar filters with random damage: characters dropped, inserted, swapped. */
export const damaged = fc
  .tuple(
    grammarFilter,
    fc.nat(),
    fc.constantFrom('', '(', ')', '[', ']', '"', ' ', '\\', '.', ':', 'and', 'not', '\u0000'),
  )
  .map(([text, at, insert]) => {
    const i = text.length ? at % text.length : 0;
    return at % 2 ? text.slice(0, i) + insert + text.slice(i + 1) : text.slice(0, i) + insert + text.slice(i);
  });
