// Operator-by-operator semantics, beyond the documentation examples: each row is a condition, a
// request context and whether a statement with that condition applies.
import { describe, expect, test } from 'vitest';
import type { RequestContext } from '../../src/policy/index.ts';
import { decide } from './helpers.ts';

type Row = [
  label: string,
  condition: Record<string, Record<string, unknown>>,
  context: RequestContext | undefined,
  applies: boolean,
];

const K = 'svc:key';
const c = (op: string, values: unknown, key = K) => ({ [op]: { [key]: values } });

const rows: Row[] = [
  // String
  ['StringEquals: equal', c('StringEquals', 'a'), { [K]: 'a' }, true],
  ['StringEquals: case differs', c('StringEquals', 'a'), { [K]: 'A' }, false],
  ['StringEquals: missing key', c('StringEquals', 'a'), undefined, false],
  ['StringEquals: values are OR-ed', c('StringEquals', ['a', 'b']), { [K]: 'b' }, true],
  ['StringEquals: * is not a wildcard', c('StringEquals', 'a*'), { [K]: 'ab' }, false],
  ['StringEquals: a number value', c('StringEquals', 5), { [K]: '5' }, true],
  [
    'StringEquals: multivalued request, no set operator, one value matches',
    c('StringEquals', 'a'),
    { [K]: ['x', 'a'] },
    true,
  ],
  ['StringEquals: an empty list is no value', c('StringEquals', 'a'), { [K]: [] }, false],
  ['StringNotEquals: none matches', c('StringNotEquals', ['a', 'b']), { [K]: 'c' }, true],
  ['StringNotEquals: one matches (NOR)', c('StringNotEquals', ['a', 'b']), { [K]: 'b' }, false],
  ['StringNotEquals: missing key', c('StringNotEquals', ['a', 'b']), undefined, true],
  [
    'StringNotEquals: multivalued request with a match',
    c('StringNotEquals', 'a'),
    { [K]: ['a', 'c'] },
    false,
  ],
  ['StringEqualsIgnoreCase', c('StringEqualsIgnoreCase', 'AbC'), { [K]: 'aBc' }, true],
  ['StringNotEqualsIgnoreCase', c('StringNotEqualsIgnoreCase', 'AbC'), { [K]: 'abc' }, false],
  ['StringLike: *', c('StringLike', 'a*c'), { [K]: 'abbc' }, true],
  ['StringLike: ?', c('StringLike', 'a?c'), { [K]: 'abc' }, true],
  ['StringLike: ? is exactly one', c('StringLike', 'a?c'), { [K]: 'abbc' }, false],
  ['StringLike: * matches the empty string', c('StringLike', '*'), { [K]: '' }, true],
  ['StringLike: case-sensitive', c('StringLike', 'a*'), { [K]: 'A1' }, false],
  ['StringLike: * crosses / and :', c('StringLike', 'x*z'), { [K]: 'x/y:z' }, true],
  ['StringNotLike: no pattern matches', c('StringNotLike', ['a*', 'b*']), { [K]: 'c' }, true],
  ['StringNotLike: a pattern matches', c('StringNotLike', ['a*', 'b*']), { [K]: 'b1' }, false],
  // Numeric
  ['NumericEquals: 10 = 10.0', c('NumericEquals', '10'), { [K]: '10.0' }, true],
  ['NumericEquals: 10 = 1e1', c('NumericEquals', 10), { [K]: '1e1' }, true],
  ['NumericEquals: not a number', c('NumericEquals', '10'), { [K]: 'ten' }, false],
  ['NumericNotEquals', c('NumericNotEquals', ['1', '2']), { [K]: '3' }, true],
  ['NumericNotEquals: one equal', c('NumericNotEquals', ['1', '2']), { [K]: '2' }, false],
  ['NumericLessThan', c('NumericLessThan', '10'), { [K]: '9.99' }, true],
  ['NumericLessThan: equal', c('NumericLessThan', '10'), { [K]: '10' }, false],
  ['NumericLessThanEquals: equal', c('NumericLessThanEquals', '10'), { [K]: '10' }, true],
  ['NumericGreaterThan', c('NumericGreaterThan', '-5'), { [K]: '0' }, true],
  ['NumericGreaterThanEquals', c('NumericGreaterThanEquals', '3600'), { [K]: '3599' }, false],
  // Date
  [
    'DateEquals: ISO and epoch are one instant',
    c('DateEquals', '2020-01-01T00:00:00Z'),
    { [K]: '1577836800' },
    true,
  ],
  [
    'DateEquals: offsets',
    c('DateEquals', '2020-01-01T00:00:00Z'),
    { [K]: '2020-01-01T01:00:00+01:00' },
    true,
  ],
  [
    'DateEquals: a date alone is midnight UTC',
    c('DateEquals', '2020-01-01'),
    { [K]: '2020-01-01T00:00:00Z' },
    true,
  ],
  ['DateNotEquals', c('DateNotEquals', '2020-01-01T00:00:00Z'), { [K]: '2020-01-01T00:00:01Z' }, true],
  ['DateLessThan', c('DateLessThan', '2020-01-01T00:00:00Z'), { [K]: '2019-12-31T23:59:59Z' }, true],
  [
    'DateLessThan: fractions of a second',
    c('DateLessThan', '2020-01-01T00:00:00.500Z'),
    { [K]: '2020-01-01T00:00:00.250Z' },
    true,
  ],
  ['DateLessThanEquals: equal', c('DateLessThanEquals', '1577836800'), { [K]: '2020-01-01T00:00:00Z' }, true],
  ['DateGreaterThan', c('DateGreaterThan', '2020-01-01T00:00:00Z'), { [K]: '2020-01-01T00:00:00Z' }, false],
  [
    'DateGreaterThanEquals',
    c('DateGreaterThanEquals', '2020-01-01T00:00:00Z'),
    { [K]: '2020-01-01T00:00:00Z' },
    true,
  ],
  ['Date: request value not a date', c('DateLessThan', '2020-01-01T00:00:00Z'), { [K]: 'yesterday' }, false],
  // Bool
  ['Bool: case-insensitive', c('Bool', 'true'), { [K]: 'TRUE' }, true],
  ['Bool: false', c('Bool', 'true'), { [K]: 'false' }, false],
  ['Bool: not a boolean', c('Bool', 'true'), { [K]: 'yes' }, false],
  ['Bool: a JSON boolean value', c('Bool', true), { [K]: 'true' }, true],
  // Binary
  ['BinaryEquals: same bytes', c('BinaryEquals', 'AQID'), { [K]: 'AQID' }, true],
  ['BinaryEquals: other bytes', c('BinaryEquals', 'AQID'), { [K]: 'AQIE' }, false],
  ['BinaryEquals: request not base64', c('BinaryEquals', 'AQID'), { [K]: '%%%' }, false],
  // IP
  ['IpAddress: inside /8', c('IpAddress', '10.0.0.0/8'), { [K]: '10.255.255.255' }, true],
  ['IpAddress: outside /8', c('IpAddress', '10.0.0.0/8'), { [K]: '11.0.0.0' }, false],
  ['IpAddress: no prefix means /32', c('IpAddress', '203.0.113.5'), { [K]: '203.0.113.6' }, false],
  ['IpAddress: host bits in the range are ignored', c('IpAddress', '10.1.2.3/8'), { [K]: '10.9.9.9' }, true],
  ['IpAddress: 0.0.0.0/0 is every IPv4 address', c('IpAddress', '0.0.0.0/0'), { [K]: '8.8.8.8' }, true],
  ['IpAddress: 0.0.0.0/0 is no IPv6 address', c('IpAddress', '0.0.0.0/0'), { [K]: '2001:db8::1' }, false],
  ['IpAddress: ::/0 is every IPv6 address', c('IpAddress', '::/0'), { [K]: 'fe80::1' }, true],
  [
    'IpAddress: IPv6, any case and compression',
    c('IpAddress', '2001:DB8::/32'),
    { [K]: '2001:db8:0:0:0:0:0:1' },
    true,
  ],
  ['IpAddress: IPv4-mapped IPv6 is IPv6', c('IpAddress', '10.0.0.0/8'), { [K]: '::ffff:10.0.0.1' }, false],
  ['IpAddress: IPv4-mapped range', c('IpAddress', '::ffff:0:0/96'), { [K]: '::ffff:10.0.0.1' }, true],
  ['IpAddress: request not an address', c('IpAddress', '10.0.0.0/8'), { [K]: '10.0.0' }, false],
  [
    'NotIpAddress: in a listed range',
    c('NotIpAddress', ['10.0.0.0/8', '192.168.0.0/16']),
    { [K]: '192.168.1.1' },
    false,
  ],
  ['NotIpAddress: elsewhere', c('NotIpAddress', ['10.0.0.0/8', '192.168.0.0/16']), { [K]: '8.8.8.8' }, true],
  ['NotIpAddress: missing key', c('NotIpAddress', '10.0.0.0/8'), undefined, true],
  // ARN
  [
    'ArnLike: wildcards per component',
    c('ArnLike', 'arn:aws:iam::*:role/*'),
    { [K]: 'arn:aws:iam::123:role/x/y' },
    true,
  ],
  [
    'ArnLike: other service',
    c('ArnLike', 'arn:aws:iam::*:role/*'),
    { [K]: 'arn:aws:sts::123:assumed-role/x/y' },
    false,
  ],
  [
    'ArnLike: ? in the account',
    c('ArnLike', 'arn:aws:iam::1?3:role/x'),
    { [K]: 'arn:aws:iam::123:role/x' },
    true,
  ],
  [
    'ArnLike: * stays inside the region',
    c('ArnLike', 'arn:aws:sns:*:123:topic'),
    { [K]: 'arn:aws:sns:a:b:123:topic' },
    false,
  ],
  [
    'ArnLike: the resource part may hold colons',
    c('ArnLike', 'arn:aws:logs:*:*:log-group:*'),
    { [K]: 'arn:aws:logs:r:1:log-group:g:log-stream:s' },
    true,
  ],
  ['ArnEquals behaves as ArnLike', c('ArnEquals', 'arn:aws:s3:::b*'), { [K]: 'arn:aws:s3:::bucket' }, true],
  ['ArnLike: request not an ARN', c('ArnLike', 'arn:aws:s3:::*'), { [K]: 'bucket' }, false],
  ['ArnLike: case-sensitive', c('ArnLike', 'arn:aws:s3:::Bucket'), { [K]: 'arn:aws:s3:::bucket' }, false],
  ['ArnNotLike: matches', c('ArnNotLike', 'arn:aws:s3:::b*'), { [K]: 'arn:aws:s3:::bucket' }, false],
  ['ArnNotEquals: missing key', c('ArnNotEquals', 'arn:aws:s3:::b*'), undefined, true],
  // Null
  ['Null true: absent', c('Null', 'true'), undefined, true],
  ['Null true: present', c('Null', 'true'), { [K]: 'x' }, false],
  ['Null false: present', c('Null', 'false'), { [K]: '' }, true],
  ['Null false: absent', c('Null', false), undefined, false],
  ['Null true: an empty list is absent', c('Null', 'true'), { [K]: [] }, true],
  ['Null [true, false]: always', c('Null', ['true', 'false']), { [K]: 'x' }, true],
  // …IfExists
  ['StringEqualsIfExists: absent', c('StringEqualsIfExists', 'a'), undefined, true],
  ['StringEqualsIfExists: present, other', c('StringEqualsIfExists', 'a'), { [K]: 'b' }, false],
  ['NumericLessThanIfExists: absent', c('NumericLessThanIfExists', '1'), undefined, true],
  ['DateLessThanIfExists: present', c('DateLessThanIfExists', '2020-01-01'), { [K]: '2021-01-01' }, false],
  ['StringNotLikeIfExists: present, matching', c('StringNotLikeIfExists', 'a*'), { [K]: 'ab' }, false],
  // Set operators
  ['ForAllValues: every value listed', c('ForAllValues:StringEquals', ['a', 'b']), { [K]: ['a', 'b'] }, true],
  [
    'ForAllValues: one value not listed',
    c('ForAllValues:StringEquals', ['a', 'b']),
    { [K]: ['a', 'c'] },
    false,
  ],
  ['ForAllValues: missing key', c('ForAllValues:StringEquals', ['a', 'b']), undefined, true],
  ['ForAllValues: empty list', c('ForAllValues:StringEquals', ['a', 'b']), { [K]: [] }, true],
  ['ForAllValues: empty string', c('ForAllValues:StringEquals', ['a', 'b']), { [K]: '' }, true],
  ['ForAllValues: a single value', c('ForAllValues:StringLike', 'a*'), { [K]: 'ab' }, true],
  ['ForAnyValue: one value listed', c('ForAnyValue:StringEquals', ['a', 'b']), { [K]: ['c', 'b'] }, true],
  ['ForAnyValue: none listed', c('ForAnyValue:StringEquals', ['a', 'b']), { [K]: ['c'] }, false],
  ['ForAnyValue: missing key', c('ForAnyValue:StringEquals', ['a', 'b']), undefined, false],
  ['ForAnyValue: empty list', c('ForAnyValue:StringEquals', ['a', 'b']), { [K]: [] }, false],
  ['ForAnyValue: empty string', c('ForAnyValue:StringEquals', ['a', 'b']), { [K]: '' }, false],
  [
    'ForAllValues:StringNotEquals: none listed',
    c('ForAllValues:StringNotEquals', ['a', 'b']),
    { [K]: ['c', 'd'] },
    true,
  ],
  [
    'ForAllValues:StringNotEquals: one listed',
    c('ForAllValues:StringNotEquals', ['a', 'b']),
    { [K]: ['c', 'a'] },
    false,
  ],
  [
    'ForAnyValue:StringNotEquals: one not listed',
    c('ForAnyValue:StringNotEquals', ['a', 'b']),
    { [K]: ['a', 'c'] },
    true,
  ],
  [
    'ForAnyValue:StringNotEquals: all listed',
    c('ForAnyValue:StringNotEquals', ['a', 'b']),
    { [K]: ['a', 'b'] },
    false,
  ],
  [
    'ForAnyValue:StringNotEquals: missing key',
    c('ForAnyValue:StringNotEquals', ['a', 'b']),
    undefined,
    false,
  ],
  ['ForAnyValue…IfExists: missing key', c('ForAnyValue:StringEqualsIfExists', 'a'), undefined, true],
  ['ForAnyValue:IpAddress', c('ForAnyValue:IpAddress', '10.0.0.0/8'), { [K]: ['1.1.1.1', '10.0.0.1'] }, true],
  [
    'ForAllValues:NumericLessThan: all below',
    c('ForAllValues:NumericLessThan', '10'),
    { [K]: ['1', '2'] },
    true,
  ],
  [
    'ForAllValues:NumericLessThan: one above',
    c('ForAllValues:NumericLessThan', '10'),
    { [K]: ['1', '20'] },
    false,
  ],
  // AND across keys and operators
  [
    'keys of one operator are AND-ed',
    { StringEquals: { 'svc:a': 'a', 'svc:b': 'b' } },
    { 'svc:a': 'a' },
    false,
  ],
  [
    'operators are AND-ed',
    { StringEquals: { 'svc:a': 'a' }, Bool: { 'svc:b': 'true' } },
    { 'svc:a': 'a', 'svc:b': 'true' },
    true,
  ],
  [
    'one key under two spellings: both must hold',
    { StringEquals: { 'svc:A': 'a', 'SVC:a': 'b' } },
    { 'svc:a': 'a' },
    false,
  ],
  // Policy variables in condition values
  [
    'a variable in StringEquals',
    c('StringEquals', '${aws:username}', 'aws:PrincipalTag/owner'),
    { 'aws:username': 'ana', 'aws:PrincipalTag/owner': 'ana' },
    true,
  ],
  [
    'an unresolved variable matches nothing',
    c('StringEquals', '${aws:username}', 'aws:PrincipalTag/owner'),
    { 'aws:PrincipalTag/owner': 'ana' },
    false,
  ],
  [
    'an unresolved variable in a negated operator',
    c('StringNotEquals', '${aws:username}', 'aws:PrincipalTag/owner'),
    { 'aws:PrincipalTag/owner': 'ana' },
    true,
  ],
  ['a variable default', c('StringEquals', "${aws:PrincipalTag/team, 'none'}"), { [K]: 'none' }, true],
  [
    'a variable in StringEqualsIgnoreCase',
    c('StringEqualsIgnoreCase', '${svc:other}'),
    { [K]: 'ABC', 'svc:other': 'abc' },
    true,
  ],
  [
    'a variable value is literal text in StringLike',
    c('StringLike', '${svc:other}'),
    { [K]: 'abc', 'svc:other': '*' },
    false,
  ],
  ['a variable in Bool', c('Bool', '${svc:other}'), { [K]: 'true', 'svc:other': 'TRUE' }, true],
  [
    'a variable in ArnLike',
    c('ArnLike', 'arn:aws:iam::${aws:PrincipalAccount}:role/*'),
    { [K]: 'arn:aws:iam::111122223333:role/x', 'aws:PrincipalAccount': '111122223333' },
    true,
  ],
  ['context values may be numbers', c('NumericLessThan', '10'), { [K]: 5 as unknown as string }, true],
];

describe('condition operators', () => {
  test.each(rows)('%s', (_label, condition, context, expected) => {
    const r = decide(
      {
        identity: [
          {
            Version: '2012-10-17',
            Statement: { Effect: 'Allow', Action: 'svc:Do', Resource: '*', Condition: condition },
          },
        ],
      },
      { action: 'svc:Do', resource: '*', ...(context ? { context } : {}) },
    );
    expect(r.decision).toBe(expected ? 'Allow' : 'ImplicitDeny');
  });
});

describe('request context', () => {
  const policy = {
    Version: '2012-10-17',
    Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: c('StringEquals', 'x') },
  };

  test('keys are looked up without regard to case, the exact spelling first', () => {
    expect(
      decide({ identity: [policy] }, { action: 'a:b', resource: '*', context: { 'SVC:KEY': 'x' } }).decision,
    ).toBe('Allow');
    expect(
      decide(
        { identity: [policy] },
        { action: 'a:b', resource: '*', context: { 'svc:key': 'x', 'SVC:KEY': 'y' } },
      ).decision,
    ).toBe('Allow');
  });

  test('inherited properties are not context values', () => {
    const p = {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: '*',
        Resource: '*',
        Condition: { Null: { 'aws:constructor': 'true' } },
      },
    };
    expect(decide({ identity: [p] }, { action: 'a:b', resource: '*', context: {} }).decision).toBe('Allow');
    const ctx = JSON.parse('{"__proto__": "x"}') as RequestContext;
    expect(decide({ identity: [policy] }, { action: 'a:b', resource: '*', context: ctx }).decision).toBe(
      'ImplicitDeny',
    );
  });

  test('the principal ARN supplies aws:PrincipalArn, aws:PrincipalAccount and aws:username', () => {
    const p = {
      Version: '2012-10-17',
      Statement: {
        Effect: 'Allow',
        Action: '*',
        Resource: 'arn:aws:s3:::home/${aws:username}/*',
        Condition: {
          StringEquals: { 'aws:PrincipalAccount': '111122223333' },
          ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/*' },
        },
      },
    };
    const principal = 'arn:aws:iam::111122223333:user/eng/ana';
    expect(
      decide({ identity: [p] }, { principal, action: 's3:GetObject', resource: 'arn:aws:s3:::home/ana/x' })
        .decision,
    ).toBe('Allow');
    // A role session has no aws:username.
    const role = 'arn:aws:sts::111122223333:assumed-role/dev/ana';
    expect(
      decide(
        { identity: [p] },
        { principal: role, action: 's3:GetObject', resource: 'arn:aws:s3:::home/ana/x' },
      ).decision,
    ).toBe('ImplicitDeny');
    // The context wins over the principal.
    const context = { 'aws:username': 'bob' };
    expect(
      decide(
        { identity: [p] },
        { principal, action: 's3:GetObject', resource: 'arn:aws:s3:::home/ana/x', context },
      ).decision,
    ).toBe('ImplicitDeny');
  });
});

describe('policy sets', () => {
  test('an empty list of session policies does not narrow the session', () => {
    const allow = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*', Resource: '*' } };
    expect(
      decide({ identity: [allow], session: [] }, { action: 's3:GetObject', resource: '*' }).decision,
    ).toBe('Allow');
    expect(decide({ identity: [] }, { action: 's3:GetObject', resource: '*' }).decision).toBe('ImplicitDeny');
  });

  test('compiling an invalid policy throws PolicyCompileError with every error', async () => {
    const { compilePolicySet, PolicyCompileError } = await import('../../src/policy/index.ts');
    const bad = { Version: '2012-10-17', Statement: { Effect: 'allow', Action: 's3', Resource: '*' } };
    try {
      compilePolicySet({ identity: [{ name: 'bad', policy: bad as never }] });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyCompileError);
      expect((e as InstanceType<typeof PolicyCompileError>).errors.map((x) => x.path)).toEqual([
        'Statement.Effect',
        'Statement.Action',
      ]);
    }
  });
});
