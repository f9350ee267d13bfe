import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  compilePolicySet,
  evaluate,
  type PolicyKind,
  SIZE_LIMITS,
  validatePolicy,
  validatePolicyDocument,
} from '../../src/policy/index.ts';

const stmt = (extra: object = {}) => ({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', ...extra });
const doc = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const withCondition = (condition: unknown) => doc(stmt({ Condition: condition }));
const big = (n: number) =>
  doc(
    ...Array.from({ length: n }, (_, i) => ({
      Sid: `S${i}`,
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::bucket-${i}/*`,
    })),
  );

interface Bad {
  name: string;
  text: string;
  kind?: PolicyKind;
  path: string;
  message?: string;
}

// Each malformed policy must give an error at `path` (and whose message contains `message`).
const corpus: Bad[] = [
  { name: 'not JSON', text: '{', path: '$', message: 'invalid JSON' },
  {
    name: 'trailing comma',
    text: '{"Version":"2012-10-17","Statement":[],}',
    path: '$',
    message: 'invalid JSON',
  },
  { name: 'single quotes', text: "{'Statement': []}", path: '$', message: 'invalid JSON' },
  { name: 'text after the value', text: `${doc(stmt())} x`, path: '$', message: 'after the JSON value' },
  { name: 'bad escape', text: '{"Statement":{"Sid":"a\\q"}}', path: 'Statement.Sid', message: 'escape' },
  {
    name: 'nested too deep',
    text: `{"Statement":${'['.repeat(100)}${']'.repeat(100)}}`,
    path: `Statement${'[0]'.repeat(64)}`,
    message: 'deeper',
  },
  {
    name: 'a syntax error deep inside',
    text: '{"Statement":[{"Effect":"Allow","Action":["s3:Get" "x"]}]}',
    path: 'Statement[0].Action',
    message: "expected ','",
  },
  { name: 'an array', text: '[]', path: '$', message: 'JSON object' },
  { name: 'a string', text: '"policy"', path: '$', message: 'JSON object' },
  { name: 'no Statement', text: '{"Version":"2012-10-17"}', path: '$', message: 'missing Statement' },
  {
    name: 'empty Statement',
    text: '{"Version":"2012-10-17","Statement":[]}',
    path: 'Statement',
    message: 'at least one',
  },
  { name: 'Statement a string', text: '{"Statement":"Allow"}', path: 'Statement' },
  { name: 'Statement null', text: '{"Statement":null}', path: 'Statement' },
  {
    name: 'unknown Version',
    text: JSON.stringify({ Version: '2012-10-18', Statement: stmt() }),
    path: 'Version',
  },
  { name: 'Version a number', text: JSON.stringify({ Version: 2012, Statement: stmt() }), path: 'Version' },
  { name: 'Id a number', text: JSON.stringify({ Id: 7, Statement: stmt() }), path: 'Id', message: 'string' },
  {
    name: 'misspelt element',
    text: JSON.stringify({ version: '2012-10-17', Statement: stmt() }),
    path: 'version',
    message: 'did you mean Version',
  },
  {
    name: 'statement not an object',
    text: JSON.stringify({ Statement: ['x'] }),
    path: 'Statement[0]',
    message: 'JSON object',
  },
  {
    name: 'no Effect',
    text: doc({ Action: 's3:*', Resource: '*' }),
    path: 'Statement[0]',
    message: 'missing Effect',
  },
  {
    name: 'lower-case Effect',
    text: doc(stmt({ Effect: 'allow' })),
    path: 'Statement[0].Effect',
    message: 'case-sensitive',
  },
  { name: 'other Effect', text: doc(stmt({ Effect: 'Permit' })), path: 'Statement[0].Effect' },
  {
    name: 'Action and NotAction',
    text: doc(stmt({ NotAction: 's3:*' })),
    path: 'Statement[0]',
    message: 'both Action and NotAction',
  },
  {
    name: 'neither Action nor NotAction',
    text: doc({ Effect: 'Allow', Resource: '*' }),
    path: 'Statement[0]',
    message: 'missing Action or NotAction',
  },
  {
    name: 'Resource and NotResource',
    text: doc(stmt({ NotResource: '*' })),
    path: 'Statement[0]',
    message: 'both Resource and NotResource',
  },
  {
    name: 'neither Resource nor NotResource',
    text: doc({ Effect: 'Allow', Action: '*' }),
    path: 'Statement[0]',
    message: 'missing Resource',
  },
  {
    name: 'empty Action list',
    text: doc(stmt({ Action: [] })),
    path: 'Statement[0].Action',
    message: 'empty',
  },
  { name: 'Action a number', text: doc(stmt({ Action: 3 })), path: 'Statement[0].Action' },
  {
    name: 'Action item not a string',
    text: doc(stmt({ Action: ['s3:GetObject', 4] })),
    path: 'Statement[0].Action[1]',
  },
  {
    name: 'Action without service',
    text: doc(stmt({ Action: 's3GetObject' })),
    path: 'Statement[0].Action',
    message: 'service:ActionName',
  },
  {
    name: 'wildcard in the action service',
    text: doc(stmt({ Action: 's3*:Get*' })),
    path: 'Statement[0].Action',
    message: 'wildcards',
  },
  {
    name: 'space in an action name',
    text: doc(stmt({ Action: ['s3:Get Object'] })),
    path: 'Statement[0].Action[0]',
  },
  {
    name: 'NotAction bad',
    text: doc({ Effect: 'Deny', NotAction: ':x', Resource: '*' }),
    path: 'Statement[0].NotAction',
  },
  {
    name: 'Resource not an ARN',
    text: doc(stmt({ Resource: 'bucket' })),
    path: 'Statement[0].Resource',
    message: 'not "*" or an ARN',
  },
  {
    name: 'ARN too short',
    text: doc(stmt({ Resource: 'arn:aws:s3' })),
    path: 'Statement[0].Resource',
    message: 'not an ARN',
  },
  {
    name: 'wildcard in the ARN service',
    text: doc(stmt({ Resource: 'arn:aws:s3*:::bucket' })),
    path: 'Statement[0].Resource',
    message: 'service',
  },
  {
    name: 'empty ARN partition',
    text: doc(stmt({ Resource: ['*', 'arn::s3:::bucket'] })),
    path: 'Statement[0].Resource[1]',
    message: 'partition',
  },
  {
    name: 'empty ARN resource part',
    text: doc(stmt({ Resource: 'arn:aws:s3:::' })),
    path: 'Statement[0].Resource',
    message: 'resource part',
  },
  {
    name: 'variable before the fifth colon',
    text: doc(stmt({ Resource: 'arn:aws:iam::${aws:PrincipalAccount}:user/x' })),
    path: 'Statement[0].Resource',
    message: 'after the fifth colon',
  },
  {
    name: 'unterminated variable',
    text: doc(stmt({ Resource: 'arn:aws:s3:::b/${aws:username' })),
    path: 'Statement[0].Resource',
    message: 'unterminated',
  },
  {
    name: 'empty variable',
    text: doc(stmt({ Resource: 'arn:aws:s3:::b/${}' })),
    path: 'Statement[0].Resource',
    message: 'invalid policy variable',
  },
  {
    name: 'Principal',
    text: doc(stmt({ Principal: { AWS: '111122223333' } })),
    path: 'Statement[0].Principal',
    message: 'identity-based',
  },
  { name: 'NotPrincipal', text: doc(stmt({ NotPrincipal: '*' })), path: 'Statement[0].NotPrincipal' },
  {
    name: 'Sid with a dash',
    text: doc(stmt({ Sid: 'my-sid' })),
    path: 'Statement[0].Sid',
    message: 'letters',
  },
  { name: 'Sid a number', text: doc(stmt({ Sid: 1 })), path: 'Statement[0].Sid' },
  {
    name: 'duplicate Sid',
    text: doc(stmt({ Sid: 'A' }), stmt({ Sid: 'A' })),
    path: 'Statement[1].Sid',
    message: 'duplicate Sid',
  },
  {
    name: 'duplicate key',
    text: '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}',
    path: 'Statement.Effect',
    message: 'duplicate key',
  },
  {
    name: 'duplicate condition operator',
    text: '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}',
    path: 'Statement.Condition.Bool',
    message: 'duplicate key',
  },
  { name: 'misspelt statement element', text: doc(stmt({ Actions: 's3:*' })), path: 'Statement[0].Actions' },
  { name: 'Condition not an object', text: withCondition('x'), path: 'Statement[0].Condition' },
  {
    name: 'unknown operator',
    text: withCondition({ StringEqual: { 'aws:username': 'a' } }),
    path: 'Statement[0].Condition.StringEqual',
  },
  {
    name: 'operator in the wrong case',
    text: withCondition({ stringEquals: { 'aws:username': 'a' } }),
    path: 'Statement[0].Condition.stringEquals',
    message: 'did you mean StringEquals',
  },
  {
    name: 'two set operators',
    text: withCondition({ 'ForAllValues:ForAnyValue:StringEquals': { 'aws:TagKeys': 'a' } }),
    path: 'Statement[0].Condition.ForAllValues:ForAnyValue:StringEquals',
  },
  {
    name: 'misspelt set operator',
    text: withCondition({ 'ForAllValue:StringEquals': { 'aws:TagKeys': 'a' } }),
    path: 'Statement[0].Condition.ForAllValue:StringEquals',
    message: 'set operator',
  },
  {
    name: 'NullIfExists',
    text: withCondition({ NullIfExists: { 'aws:username': 'true' } }),
    path: 'Statement[0].Condition.NullIfExists',
  },
  {
    name: 'ForAllValues:Null',
    text: withCondition({ 'ForAllValues:Null': { 'aws:TagKeys': 'true' } }),
    path: 'Statement[0].Condition.ForAllValues:Null',
  },
  {
    name: 'operator block not an object',
    text: withCondition({ StringEquals: 'x' }),
    path: 'Statement[0].Condition.StringEquals',
  },
  {
    name: 'empty operator block',
    text: withCondition({ StringEquals: {} }),
    path: 'Statement[0].Condition.StringEquals',
  },
  {
    name: 'key without a prefix',
    text: withCondition({ StringEquals: { username: 'a' } }),
    path: 'Statement[0].Condition.StringEquals.username',
  },
  {
    name: 'object value',
    text: withCondition({ StringEquals: { 'aws:username': { a: 1 } } }),
    path: 'Statement[0].Condition.StringEquals.aws:username',
  },
  {
    name: 'empty value list',
    text: withCondition({ StringEquals: { 'aws:username': [] } }),
    path: 'Statement[0].Condition.StringEquals.aws:username',
  },
  {
    name: 'null in a value list',
    text: withCondition({ StringEquals: { 'aws:username': ['a', null] } }),
    path: 'Statement[0].Condition.StringEquals.aws:username[1]',
  },
  {
    name: 'not a date (the path of the issue)',
    text: doc(stmt(), stmt(), stmt({ Condition: { DateLessThan: { 'aws:TokenIssueTime': 'yesterday' } } })),
    path: 'Statement[2].Condition.DateLessThan.aws:TokenIssueTime',
    message: 'not a date',
  },
  {
    name: 'month 13',
    text: withCondition({ DateGreaterThan: { 'aws:CurrentTime': '2020-13-01T00:00:00Z' } }),
    path: 'Statement[0].Condition.DateGreaterThan.aws:CurrentTime',
  },
  {
    name: 'not a number',
    text: withCondition({ NumericLessThan: { 's3:max-keys': 'ten' } }),
    path: 'Statement[0].Condition.NumericLessThan.s3:max-keys',
  },
  {
    name: 'not a boolean',
    text: withCondition({ Bool: { 'aws:SecureTransport': 'yes' } }),
    path: 'Statement[0].Condition.Bool.aws:SecureTransport',
  },
  {
    name: 'Null maybe',
    text: withCondition({ Null: { 'aws:TokenIssueTime': 'maybe' } }),
    path: 'Statement[0].Condition.Null.aws:TokenIssueTime',
  },
  {
    name: 'IPv4 octet too big',
    text: withCondition({ IpAddress: { 'aws:SourceIp': '300.1.1.1/24' } }),
    path: 'Statement[0].Condition.IpAddress.aws:SourceIp',
  },
  {
    name: 'IPv4 prefix too long',
    text: withCondition({ IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '10.0.0.0/33'] } }),
    path: 'Statement[0].Condition.IpAddress.aws:SourceIp[1]',
  },
  {
    name: 'IPv6 prefix too long',
    text: withCondition({ NotIpAddress: { 'aws:SourceIp': '2001:db8::/129' } }),
    path: 'Statement[0].Condition.NotIpAddress.aws:SourceIp',
  },
  {
    name: 'not base64',
    text: withCondition({ BinaryEquals: { 'svc:key': 'not base64!' } }),
    path: 'Statement[0].Condition.BinaryEquals.svc:key',
  },
  {
    name: 'not an ARN value',
    text: withCondition({ ArnLike: { 'aws:SourceArn': 'not-an-arn' } }),
    path: 'Statement[0].Condition.ArnLike.aws:SourceArn',
  },
  {
    name: 'unterminated variable in a condition',
    text: withCondition({ StringLike: { 's3:prefix': 'home/${aws:username/' } }),
    path: 'Statement[0].Condition.StringLike.s3:prefix',
    message: 'unterminated',
  },
  {
    name: 'inline policy too large',
    text: big(150),
    path: '$',
    message: 'limit for a inline policy is 10,240',
  },
  { name: 'managed policy too large', text: big(80), kind: 'managed', path: '$', message: '6,144' },
  { name: 'session policy too large', text: big(30), kind: 'session', path: '$', message: '2,048' },
];

describe('a corpus of malformed policies', () => {
  test('has at least 40 entries', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  test.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = validatePolicy(c.text, c.kind ?? 'inline');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    for (const e of r.errors) {
      expect(e.path).not.toBe('');
      expect(e.message).not.toBe('');
    }
    const hit = r.errors.find(
      (e) => e.path === c.path && (c.message === undefined || e.message.includes(c.message)),
    );
    expect(hit, JSON.stringify(r.errors)).toBeDefined();
  });
});

describe('validation', () => {
  test('reports every error at once', () => {
    const text = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'a-b', Effect: 'allow', Action: 's3', Resource: 'x' },
        {
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Principal: '*',
          Condition: { DateLessThan: { 'aws:CurrentTime': 'never' } },
        },
      ],
    });
    const r = validatePolicy(text, 'inline');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual([
      'Statement[0].Sid',
      'Statement[0].Effect',
      'Statement[0].Action',
      'Statement[0].Resource',
      'Statement[1].Principal',
      'Statement[1].Condition.DateLessThan.aws:CurrentTime',
    ]);
  });

  test('accepts a single statement object, arrays or single values, and no Version', () => {
    expect(validatePolicy(JSON.stringify({ Statement: stmt() }), 'inline').ok).toBe(true);
    expect(validatePolicy(doc(stmt({ Action: ['s3:Get*', 'S3:List?'] })), 'inline').ok).toBe(true);
    expect(
      validatePolicy(JSON.stringify({ Version: '2008-10-17', Id: 'x', Statement: [stmt()] }), 'managed').ok,
    ).toBe(true);
  });

  test('variables are plain text in 2008-10-17 policies', () => {
    const text = JSON.stringify({
      Version: '2008-10-17',
      Statement: stmt({ Resource: 'arn:aws:iam::${x:y}:user/${z' }),
    });
    expect(validatePolicy(text, 'inline').ok).toBe(true);
  });

  test('accepts documented condition values', () => {
    const ok = withCondition({
      DateLessThan: {
        'aws:TokenIssueTime': [
          '2014-05-07T23:47:00Z',
          '2014-05-07',
          '2014',
          '1399506420',
          '20130930T231548Z',
          '2020-02-29T10:00+02:00',
        ],
      },
      NumericLessThanEquals: { 's3:max-keys': [10, '10.5', '-1'] },
      Bool: { 'aws:SecureTransport': [true, 'FALSE', '${aws:x}'] },
      IpAddress: {
        'aws:SourceIp': ['203.0.113.0/24', '203.0.113.7', '2001:DB8:1234:5678::/64', '::ffff:1.2.3.4'],
      },
      ArnLike: { 'aws:SourceArn': ['arn:aws:sns:*:111122223333:*', '${aws:PrincipalArn}'] },
      StringLike: { 'aws:PrincipalTag/team': "${aws:PrincipalTag/team, 'fallback'}-*" },
      BinaryEquals: { 'svc:key': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' },
      Null: { 'aws:TokenIssueTime': 'true' },
    });
    const r = validatePolicy(ok, 'inline');
    expect(r.ok ? [] : r.errors).toEqual([]);
  });

  test('the size limit counts non-whitespace characters only', () => {
    const text = doc(stmt());
    const padded = text.replaceAll(',', ',\n          ');
    const limit = SIZE_LIMITS.session;
    const filler = limit - text.length;
    const exactly = JSON.stringify({
      Version: '2012-10-17',
      Id: 'x'.repeat(filler - 8),
      Statement: [stmt()],
    });
    expect(exactly.length).toBe(limit);
    expect(validatePolicy(exactly, 'session').ok).toBe(true);
    expect(validatePolicy(`${exactly}\n${' '.repeat(5000)}`, 'session').ok).toBe(true);
    expect(validatePolicy(padded, 'session').ok).toBe(true);
    const over = JSON.stringify({ Version: '2012-10-17', Id: 'x'.repeat(filler - 7), Statement: [stmt()] });
    expect(validatePolicy(over, 'session').ok).toBe(false);
  });

  test('validatePolicyDocument takes parsed objects and never throws', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const input of [undefined, null, 42, 'x', () => 1, cyclic, { Statement: 10n }, []]) {
      const r = validatePolicyDocument(input, 'inline');
      expect(r.ok).toBe(false);
    }
    expect(validatePolicyDocument({ Statement: stmt() }, 'inline').ok).toBe(true);
  });

  test('a "__proto__" key is data, not a prototype', () => {
    const r = validatePolicy(
      '{"__proto__":{"x":1},"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}',
      'inline',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.path).toBe('__proto__');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  test('huge values (whitespace is free) validate in linear time, with short messages', () => {
    const S = ' '.repeat(200_000);
    const docs = [
      stmt({ Action: `${S}:x` }),
      stmt({ Resource: `arn:${S}` }),
      stmt({ Resource: `arn:aws:s3:::b/\${a:b,${S}}` }),
      stmt({ Resource: `arn:aws:s3:::b/\${${S}}` }),
      stmt({ Condition: { StringEquals: { [`a:${S}b${S}`]: 'x' } } }),
      stmt({ Condition: { [`ForAllValues:${S}`]: { 'a:b': 'x' } } }),
      stmt({ Condition: { DateEquals: { 'a:b': `2020${S}` } } }),
    ];
    const start = performance.now();
    for (const d of docs) {
      const r = validatePolicy(doc(d), 'inline');
      expect(r.ok).toBe(false);
      if (!r.ok) for (const e of r.errors) expect(e.message.length).toBeLessThan(200);
    }
    expect(performance.now() - start).toBeLessThan(2000);
  });

  test('an unknown kind is an error, not an exception', () => {
    expect(validatePolicy(doc(stmt()), 'weird' as PolicyKind).ok).toBe(false);
  });
});

// Policy-shaped junk: right element names, wrong or right values, nested at random.
const junk = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(
      'Allow',
      'Deny',
      '*',
      's3:Get*',
      'arn:aws:s3:::b/*',
      '2012-10-17',
      'true',
      '10.0.0.0/8',
      '${aws:username}',
      '',
    ),
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object'),
  ),
  object: fc.dictionary(
    fc.constantFrom(
      'Version',
      'Statement',
      'Effect',
      'Action',
      'NotAction',
      'Resource',
      'NotResource',
      'Condition',
      'Sid',
      'StringEquals',
      'ForAllValues:StringLike',
      'DateLessThan',
      'IpAddress',
      'Null',
      'aws:username',
      'aws:TokenIssueTime',
    ),
    tie('value'),
    { maxKeys: 5 },
  ),
}));

describe('fuzzing', () => {
  test('random JSON never throws and every error has a path', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom<PolicyKind>('inline', 'managed', 'session'), (v, kind) => {
        const r = validatePolicy(JSON.stringify(v) ?? 'null', kind);
        if (!r.ok) for (const e of r.errors) expect(e.path.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  test('random text never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const r = validatePolicy(s, 'inline');
        if (!r.ok) for (const e of r.errors) expect(e.path.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  test('mutated policies never throw', () => {
    const base = doc(
      stmt({
        Sid: 'A',
        Condition: {
          DateLessThan: { 'aws:TokenIssueTime': '2014-05-07T23:47:00Z' },
          IpAddress: { 'aws:SourceIp': '10.0.0.0/8' },
        },
      }),
      { Effect: 'Deny', NotAction: 'iam:*', NotResource: 'arn:aws:s3:::b/${aws:username}/*' },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length), fc.nat(2), fc.string({ maxLength: 3 })), { maxLength: 5 }),
        (edits) => {
          let s = base;
          for (const [at, op, text] of edits) {
            const i = at % (s.length + 1);
            s =
              op === 0
                ? s.slice(0, i) + text + s.slice(i)
                : op === 1
                  ? s.slice(0, i) + s.slice(i + 1)
                  : s.slice(0, i) + text + s.slice(i + 1);
          }
          validatePolicy(s, 'inline');
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('policy-shaped junk never throws; what validates also compiles and evaluates', () => {
    fc.assert(
      fc.property(junk.object, (obj) => {
        const r = validatePolicyDocument(obj, 'inline');
        if (!r.ok) return;
        const set = compilePolicySet({ identity: [{ name: 'p', policy: r.policy }] });
        evaluate(set, {
          action: 's3:GetObject',
          resource: 'arn:aws:s3:::b/x',
          context: { 'aws:username': 'x' },
        });
      }),
      { numRuns: 1000 },
    );
  });
});
