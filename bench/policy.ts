// Policy evaluation benchmark: `node bench/policy.ts`.
// (a) one small policy, (b) a 20-statement policy with conditions and variables, (c) a permission set
// of 10 managed policies and a permissions boundary. Prints decisions/s on one core and the p50/p99
// latency of single decisions (each timed on its own with process.hrtime.bigint).

import {
  type AuthorizationRequest,
  type CompiledPolicySet,
  compilePolicySet,
  evaluate,
  type PolicyDocument,
  validatePolicyDocument,
} from '../src/policy/index.ts';

const ACCOUNT = '111122223333';

function valid(doc: unknown, kind: 'inline' | 'managed' | 'boundary' = 'inline'): PolicyDocument {
  const r = validatePolicyDocument(doc, kind);
  if (!r.ok) throw new Error(`benchmark policy is invalid: ${JSON.stringify(r.errors)}`);
  return r.policy;
}

const small = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Read',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:ListBucket'],
      Resource: ['arn:aws:s3:::reports', 'arn:aws:s3:::reports/*'],
    },
    { Sid: 'NoDelete', Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' },
  ],
};

const twenty = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Revoke',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' } },
    },
    {
      Sid: 'RequireMfa',
      Effect: 'Deny',
      NotAction: ['iam:ChangePassword', 'sts:GetSessionToken'],
      Resource: '*',
      Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
    },
    {
      Sid: 'OfficeOnly',
      Effect: 'Deny',
      Action: 'ec2:*',
      Resource: '*',
      Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } },
    },
    {
      Sid: 'ListHome',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::home',
      Condition: { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/*'] } },
    },
    {
      Sid: 'OwnHome',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::home/home/${aws:username}/*',
    },
    {
      Sid: 'TeamBucket',
      Effect: 'Allow',
      Action: 's3:*',
      Resource: "arn:aws:s3:::team-${aws:PrincipalTag/team, 'none'}/*",
    },
    {
      Sid: 'SmallLists',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::shared',
      Condition: { NumericLessThanEquals: { 's3:max-keys': '100' } },
    },
    {
      Sid: 'TaggedInstances',
      Effect: 'Allow',
      Action: ['ec2:StartInstances', 'ec2:StopInstances'],
      Resource: `arn:aws:ec2:*:${ACCOUNT}:instance/*`,
      Condition: { StringEquals: { 'aws:ResourceTag/team': '${aws:PrincipalTag/team}' } },
    },
    { Sid: 'Describe', Effect: 'Allow', Action: 'ec2:Describe*', Resource: '*' },
    {
      Sid: 'RunSmall',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: '*',
      Condition: { StringLikeIfExists: { 'ec2:InstanceType': ['t3.*', 't4g.*'] } },
    },
    {
      Sid: 'NoProdTerminate',
      Effect: 'Deny',
      Action: 'ec2:TerminateInstances',
      Resource: '*',
      Condition: { StringEquals: { 'aws:ResourceTag/env': 'prod' } },
    },
    {
      Sid: 'TagOnlyAllowed',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: '*',
      Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'env', 'owner'] } },
    },
    {
      Sid: 'NoSecretTags',
      Effect: 'Deny',
      Action: 'ec2:CreateTags',
      Resource: '*',
      Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': ['secret*', 'aws:*'] } },
    },
    {
      Sid: 'OwnKeys',
      Effect: 'Allow',
      Action: ['iam:*AccessKey*', 'iam:ChangePassword', 'iam:GetUser'],
      Resource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`,
    },
    {
      Sid: 'Queues',
      Effect: 'Allow',
      Action: 'sqs:*',
      Resource: `arn:aws:sqs:*:${ACCOUNT}:\${aws:PrincipalTag/team}-*`,
    },
    {
      Sid: 'TableRows',
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:Query'],
      Resource: `arn:aws:dynamodb:*:${ACCOUNT}:table/Orders`,
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:userid}'] } },
    },
    {
      Sid: 'KmsViaS3',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['s3.amazonaws.com'] } },
    },
    {
      Sid: 'AssumeTeamRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: `arn:aws:iam::${ACCOUNT}:role/\${aws:PrincipalTag/team}-*`,
      Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:user/*` } },
    },
    {
      Sid: 'NoLongTermKeysForLogs',
      Effect: 'Deny',
      Action: 'logs:*',
      Resource: '*',
      Condition: { Null: { 'aws:TokenIssueTime': 'true' } },
    },
    {
      Sid: 'Logs',
      Effect: 'Allow',
      Action: ['logs:Get*', 'logs:Describe*', 'logs:FilterLogEvents'],
      Resource: `arn:aws:logs:*:${ACCOUNT}:log-group:/team/\${aws:PrincipalTag/team}/*`,
    },
  ],
};

const managed = (i: number) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: `Read${i}`,
      Effect: 'Allow',
      Action: [`svc${i}:Get*`, `svc${i}:List*`, `svc${i}:Describe*`],
      Resource: '*',
    },
    {
      Sid: `Write${i}`,
      Effect: 'Allow',
      Action: [`svc${i}:Put*`, `svc${i}:Update*`],
      Resource: `arn:aws:svc${i}:*:${ACCOUNT}:thing/\${aws:PrincipalTag/team}/*`,
    },
    { Sid: `S3Read${i}`, Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket-${i}/*` },
    {
      Sid: `NoDelete${i}`,
      Effect: 'Deny',
      Action: [`svc${i}:Delete*`],
      Resource: '*',
      Condition: { StringNotEquals: { 'aws:PrincipalTag/role': 'admin' } },
    },
    {
      Sid: `Mfa${i}`,
      Effect: 'Deny',
      Action: `svc${i}:*`,
      Resource: '*',
      Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
    },
  ],
});

const boundary = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Services',
      Effect: 'Allow',
      Action: ['s3:*', 'svc0:*', 'svc1:*', 'svc2:*', 'svc3:*', 'svc4:*', 'svc5:*', 'svc6:*', 'svc7:*'],
      Resource: '*',
    },
    {
      Sid: 'Office',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { NotIpAddressIfExists: { 'aws:SourceIp': ['10.0.0.0/8', '203.0.113.0/24'] } },
    },
    {
      Sid: 'NoAuditBucket',
      Effect: 'Deny',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::audit', 'arn:aws:s3:::audit/*'],
    },
  ],
};

const context = {
  'aws:username': 'ana',
  'aws:userid': 'AIDAEXAMPLEANA',
  'aws:PrincipalTag/team': 'blue',
  'aws:PrincipalTag/role': 'dev',
  'aws:TokenIssueTime': '2024-06-01T08:00:00Z',
  'aws:CurrentTime': '2024-06-01T09:30:00Z',
  'aws:MultiFactorAuthPresent': 'true',
  'aws:SourceIp': '203.0.113.42',
  'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:user/ana`,
};

const req = (
  action: string,
  resource: string,
  extra: Record<string, string | string[]> = {},
): AuthorizationRequest => ({
  principal: `arn:aws:iam::${ACCOUNT}:user/ana`,
  action,
  resource,
  context: { ...context, ...extra },
});

interface Scenario {
  name: string;
  statements: number;
  compile: () => CompiledPolicySet;
  requests: AuthorizationRequest[];
}

function scenarios(): Scenario[] {
  return [
    {
      name: '(a) 1 small policy',
      statements: small.Statement.length,
      compile: () => compilePolicySet({ identity: [{ name: 'small', policy: valid(small) }] }),
      requests: [
        { action: 's3:GetObject', resource: 'arn:aws:s3:::reports/2024/q1.pdf', context: {} },
        { action: 's3:DeleteObject', resource: 'arn:aws:s3:::reports/2024/q1.pdf', context: {} },
        { action: 's3:PutObject', resource: 'arn:aws:s3:::reports/2024/q1.pdf', context: {} },
        { action: 'ec2:RunInstances', resource: '*', context: {} },
      ],
    },
    {
      name: '(b) 20 statements, conditions, variables',
      statements: twenty.Statement.length,
      compile: () => compilePolicySet({ identity: [{ name: 'twenty', policy: valid(twenty) }] }),
      requests: [
        req('s3:GetObject', 'arn:aws:s3:::home/home/ana/notes.txt'),
        req('s3:PutObject', 'arn:aws:s3:::home/home/bob/notes.txt'),
        req('s3:ListBucket', 'arn:aws:s3:::home', { 's3:prefix': 'home/ana/2024/' }),
        req('ec2:StopInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0abc`, {
          'aws:ResourceTag/team': 'blue',
        }),
        req('ec2:TerminateInstances', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0abc`, {
          'aws:ResourceTag/env': 'prod',
        }),
        req('ec2:CreateTags', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0abc`, {
          'aws:TagKeys': ['team', 'owner'],
        }),
        req('sqs:SendMessage', `arn:aws:sqs:eu-west-1:${ACCOUNT}:blue-orders`),
        req('dynamodb:Query', `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/Orders`, {
          'dynamodb:LeadingKeys': ['AIDAEXAMPLEANA'],
        }),
        req(
          'logs:FilterLogEvents',
          `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/team/blue/api:log-stream:x`,
        ),
        req('s3:GetObject', 'arn:aws:s3:::home/home/ana/notes.txt', {
          'aws:MultiFactorAuthPresent': 'false',
        }),
      ],
    },
    {
      name: '(c) 10 managed policies + boundary',
      statements: 10 * managed(0).Statement.length + boundary.Statement.length,
      compile: () =>
        compilePolicySet({
          identity: Array.from({ length: 10 }, (_, i) => ({
            name: `managed${i}`,
            policy: valid(managed(i), 'managed'),
          })),
          boundary: { name: 'boundary', policy: valid(boundary, 'boundary') },
        }),
      requests: [
        req('svc3:GetWidget', `arn:aws:svc3:eu-west-1:${ACCOUNT}:thing/blue/w1`),
        req('svc7:PutWidget', `arn:aws:svc7:eu-west-1:${ACCOUNT}:thing/blue/w1`),
        req('svc5:DeleteWidget', `arn:aws:svc5:eu-west-1:${ACCOUNT}:thing/blue/w1`),
        req('svc9:GetWidget', `arn:aws:svc9:eu-west-1:${ACCOUNT}:thing/blue/w1`),
        req('s3:GetObject', 'arn:aws:s3:::bucket-4/data.csv'),
        req('s3:GetObject', 'arn:aws:s3:::audit/log.csv'),
        req('iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/eve`),
      ],
    },
  ];
}

interface Figures {
  name: string;
  statements: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Validating and compiling the set, once per save or load. */
  compileMs: number;
  decisions: Record<string, number>;
}

function measure(s: Scenario): Figures {
  const { requests } = s;
  const compileTimes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const a = process.hrtime.bigint();
    s.compile();
    compileTimes.push(Number(process.hrtime.bigint() - a));
  }
  compileTimes.sort((x, y) => x - y);
  const set = s.compile();
  const n = requests.length;
  // Warm up: let the JIT settle on the hot paths.
  for (let i = 0; i < 300_000; i++) evaluate(set, requests[i % n]!);

  // Throughput: a tight loop over the request mix.
  const loops = 2_000_000;
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < loops; i++) if (evaluate(set, requests[i % n]!).decision === 'Allow') sink++;
  const elapsed = Number(process.hrtime.bigint() - t0);

  // Latency: every decision timed on its own.
  const samples = 200_000;
  const times = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const r = requests[i % n]!;
    const a = process.hrtime.bigint();
    evaluate(set, r);
    times[i] = Number(process.hrtime.bigint() - a);
  }
  times.sort();

  const decisions: Record<string, number> = {};
  for (const r of requests) {
    const d = evaluate(set, r).decision;
    decisions[d] = (decisions[d] ?? 0) + 1;
  }
  if (sink < 0) console.log(sink); // keep the loop's result alive
  return {
    name: s.name,
    statements: s.statements,
    perSecond: loops / (elapsed / 1e9),
    p50: times[Math.floor(samples * 0.5)]! / 1000,
    p99: times[Math.floor(samples * 0.99)]! / 1000,
    compileMs: compileTimes[100]! / 1e6,
    decisions,
  };
}

function timerOverhead(): number {
  const samples = 100_000;
  const times = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const a = process.hrtime.bigint();
    times[i] = Number(process.hrtime.bigint() - a);
  }
  times.sort();
  return times[samples / 2]! / 1000;
}

export async function run(): Promise<Figures[]> {
  const results = scenarios().map(measure);
  const overhead = timerOverhead();
  const fmt = (x: number, d = 2) =>
    x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const rows = [
    ['scenario', 'statements', 'decisions/s', 'p50 µs', 'p99 µs', 'compile ms', 'request mix'],
    ...results.map((r) => [
      r.name,
      String(r.statements),
      fmt(r.perSecond, 0),
      fmt(r.p50),
      fmt(r.p99),
      fmt(r.compileMs),
      Object.entries(r.decisions)
        .map(([d, c]) => `${c} ${d}`)
        .join(', '),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 || i === 6 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  console.log(`Policy evaluation on one core (Node ${process.versions.node}, ${process.arch})`);
  console.log(line(rows[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
  console.log(`Latencies include the timer itself (~${fmt(overhead, 3)} µs per reading).`);
  console.log('Targets: (a) ≥ 1,000,000 decisions/s; (b) p99 ≤ 20 µs.');
  return results;
}

if (import.meta.main) await run();
