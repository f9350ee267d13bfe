// Property-based tests: generated policies and requests, and invariants of the evaluation logic.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { CompiledGroup, CompiledPolicySet } from '../../src/policy/compile.ts';
import { RequestState } from '../../src/policy/context.ts';
import { applies } from '../../src/policy/evaluate.ts';
import {
  type AuthorizationRequest,
  compilePolicySet,
  type Decision,
  evaluate,
  type PolicyStatement,
  type RequestContext,
} from '../../src/policy/index.ts';
import { valid } from './helpers.ts';

const RUNS = 400;

const services = ['s3', 'ec2', 'iam'];
const names = ['GetObject', 'PutObject', 'ListBucket', 'DeleteObject'];
const resources = [
  'arn:aws:s3:::b1',
  'arn:aws:s3:::b1/k1',
  'arn:aws:s3:::b2/k1',
  'arn:aws:s3:::b1/a:b',
  'arn:aws:ec2:us-east-1:111122223333:instance/i-1',
  'arn:aws:iam::111122223333:user/alice',
  'arn:aws:iam::111122223333:user/bob',
];

const randomCase = (s: string) =>
  fc
    .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
    .map((flips) => [...s].map((c, i) => (flips[i] ? c.toUpperCase() : c.toLowerCase())).join(''));

const actionPattern = fc.oneof(
  fc.constant('*'),
  fc.constantFrom(...services).map((s) => `${s}:*`),
  fc.tuple(fc.constantFrom(...services), fc.constantFrom(...names)).map(([s, n]) => `${s}:${n}`),
  fc.constantFrom(...services).map((s) => `${s}:Get*`),
  fc.constantFrom(...services).map((s) => `${s}:*Object`),
  fc.constantFrom(...services).map((s) => `${s}:?utObject`),
);
const actionPatterns = fc.oneof(actionPattern, fc.array(actionPattern, { minLength: 1, maxLength: 3 }));

const resourcePattern = fc.constantFrom(
  '*',
  ...resources,
  'arn:aws:s3:::b1/*',
  'arn:aws:s3:::b?/k1',
  'arn:aws:s3:::*',
  'arn:*:s3:*:*:*',
  'arn:aws:s3:*',
  'arn:aws:ec2:*:*:instance/*',
  'arn:aws:iam::*:user/${aws:username}',
  'arn:aws:s3:::${aws:username}/*',
  "arn:aws:s3:::${aws:PrincipalTag/team, 'b1'}/*",
);
const resourcePatterns = fc.oneof(resourcePattern, fc.array(resourcePattern, { minLength: 1, maxLength: 3 }));

const conditionPart = fc.constantFrom<Record<string, Record<string, string | string[]>>>(
  { StringEquals: { 'aws:username': 'alice' } },
  { StringNotEquals: { 'aws:username': ['alice', 'bob'] } },
  { StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Blue' } },
  { StringLike: { 'aws:username': '${aws:PrincipalTag/team}*' } },
  { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } },
  { Bool: { 'aws:MultiFactorAuthPresent': 'false' } },
  { 'ForAnyValue:StringLike': { 'aws:TagKeys': ['a*'] } },
  { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } },
  { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'c*' } },
  { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
  { NotIpAddressIfExists: { 'aws:SourceIp': ['192.168.0.0/16', '2001:db8::/32'] } },
  { DateLessThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' } },
  { Null: { 'aws:TokenIssueTime': 'true' } },
  { NumericLessThan: { 's3:max-keys': '10' } },
  { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/a*' } },
);
const condition = fc
  .array(conditionPart, { minLength: 1, maxLength: 2 })
  .map((parts) => Object.assign({}, ...parts) as Record<string, Record<string, string | string[]>>);

const statement = (effect?: 'Allow' | 'Deny'): fc.Arbitrary<PolicyStatement> =>
  fc
    .record({
      effect: effect ? fc.constant(effect) : fc.constantFrom<'Allow' | 'Deny'>('Allow', 'Deny'),
      notAction: fc.boolean(),
      actions: actionPatterns,
      notResource: fc.boolean(),
      res: resourcePatterns,
      condition: fc.option(condition, { nil: undefined, freq: 2 }),
    })
    .map((r) => {
      const s: PolicyStatement = { Effect: r.effect };
      if (r.notAction) s.NotAction = r.actions;
      else s.Action = r.actions;
      if (r.notResource) s.NotResource = r.res;
      else s.Resource = r.res;
      if (r.condition) s.Condition = r.condition;
      return s;
    });

const policy = (stmts: PolicyStatement[]) => ({ Version: '2012-10-17', Statement: stmts });
const statements = fc.array(statement(), { minLength: 1, maxLength: 5 });

const context: fc.Arbitrary<RequestContext> = fc
  .record(
    {
      'aws:username': fc.constantFrom('alice', 'bob', 'carol', 'b1'),
      'aws:PrincipalTag/team': fc.constantFrom('blue', 'Blue', 'b1', 'a'),
      'aws:MultiFactorAuthPresent': fc.constantFrom('true', 'false'),
      'aws:TagKeys': fc.subarray(['a', 'ab', 'b', 'c']),
      'aws:SourceIp': fc.constantFrom('10.1.2.3', '192.168.0.1', '2001:db8::5', '203.0.113.1'),
      'aws:TokenIssueTime': fc.constantFrom('2019-06-01T00:00:00Z', '2021-01-01T00:00:00Z', '1500000000'),
      's3:max-keys': fc.constantFrom('5', '50'),
      'aws:PrincipalArn': fc.constantFrom(
        'arn:aws:iam::111122223333:user/alice',
        'arn:aws:iam::111122223333:user/bob',
      ),
    },
    { requiredKeys: [] },
  )
  .map((c) => c as RequestContext);

const request: fc.Arbitrary<AuthorizationRequest> = fc.record({
  action: fc
    .tuple(fc.constantFrom(...services), fc.constantFrom(...names))
    .chain(([s, n]) => randomCase(`${s}:${n}`)),
  resource: fc.constantFrom(...resources),
  context,
});

function compile(identity: PolicyStatement[][], boundary?: PolicyStatement[], session?: PolicyStatement[][]) {
  return compilePolicySet({
    identity: identity.map((s, i) => ({ name: `p${i}`, policy: valid(policy(s)) })),
    ...(boundary ? { boundary: { name: 'b', policy: valid(policy(boundary), 'boundary') } } : {}),
    ...(session
      ? { session: session.map((s, i) => ({ name: `s${i}`, policy: valid(policy(s), 'session') })) }
      : {}),
  });
}

const decisionOf = (
  identity: PolicyStatement[][],
  req: AuthorizationRequest,
  boundary?: PolicyStatement[],
  session?: PolicyStatement[][],
): Decision => evaluate(compile(identity, boundary, session), req).decision;

describe('invariants', () => {
  test('adding a Deny never turns a Deny into Allow', () => {
    fc.assert(
      fc.property(statements, statement('Deny'), request, (stmts, deny, req) => {
        const before = decisionOf([stmts], req);
        const after = decisionOf([[...stmts, deny]], req);
        if (before !== 'Allow') expect(after).not.toBe('Allow');
        if (before === 'ExplicitDeny') expect(after).toBe('ExplicitDeny');
      }),
      { numRuns: RUNS },
    );
  });

  test('adding an Allow never turns an Allow into Deny, nor lifts an explicit deny', () => {
    fc.assert(
      fc.property(statements, statement('Allow'), request, (stmts, allow, req) => {
        const before = decisionOf([stmts], req);
        const after = decisionOf([[...stmts, allow]], req);
        if (before === 'Allow') expect(after).toBe('Allow');
        if (before === 'ExplicitDeny') expect(after).toBe('ExplicitDeny');
      }),
      { numRuns: RUNS },
    );
  });

  test('a boundary never widens', () => {
    fc.assert(
      fc.property(statements, statements, request, (stmts, boundary, req) => {
        const without = decisionOf([stmts], req);
        const within = decisionOf([stmts], req, boundary);
        if (within === 'Allow') expect(without).toBe('Allow');
        if (without === 'ExplicitDeny') expect(within).toBe('ExplicitDeny');
      }),
      { numRuns: RUNS },
    );
  });

  test('session policies never widen', () => {
    fc.assert(
      fc.property(
        statements,
        fc.array(statements, { minLength: 1, maxLength: 2 }),
        request,
        (stmts, session, req) => {
          const without = decisionOf([stmts], req);
          const within = decisionOf([stmts], req, undefined, session);
          if (within === 'Allow') expect(without).toBe('Allow');
          if (without === 'ExplicitDeny') expect(within).toBe('ExplicitDeny');
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('reordering statements, or spreading them over several policies, changes nothing', () => {
    fc.assert(
      fc.property(
        statements,
        fc.func(fc.nat()),
        fc.array(fc.nat(3), { minLength: 5, maxLength: 5 }),
        request,
        (stmts, rank, buckets, req) => {
          const shuffled = [...stmts].sort(
            (a, b) => rank(a) - rank(b) || stmts.indexOf(a) - stmts.indexOf(b),
          );
          const spread: PolicyStatement[][] = [[], [], [], []];
          stmts.forEach((s, i) => {
            spread[buckets[i]!]!.push(s);
          });
          const expected = decisionOf([stmts], req);
          expect(decisionOf([shuffled], req)).toBe(expected);
          expect(
            decisionOf(
              spread.filter((p) => p.length > 0),
              req,
            ),
          ).toBe(expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('the case of the action and of context key names does not matter', () => {
    fc.assert(
      fc.property(statements, request, fc.boolean(), (stmts, req, upper) => {
        const ctx: RequestContext = {};
        for (const [k, v] of Object.entries(req.context ?? {}))
          ctx[upper ? k.toUpperCase() : k.toLowerCase()] = v;
        const other = {
          ...req,
          action: upper ? req.action.toUpperCase() : req.action.toLowerCase(),
          context: ctx,
        };
        expect(decisionOf([stmts], other)).toBe(decisionOf([stmts], req));
      }),
      { numRuns: RUNS },
    );
  });

  test('the service index gives the decision a scan of every statement gives', () => {
    fc.assert(
      fc.property(statements, fc.option(statements, { nil: undefined }), request, (stmts, boundary, req) => {
        const set = compile([stmts], boundary);
        expect(evaluate(set, req).decision).toBe(bruteForce(set, req));
      }),
      { numRuns: RUNS },
    );
  });

  test('the deciding statement is reported and has the right effect', () => {
    fc.assert(
      fc.property(statements, request, (stmts, req) => {
        const r = evaluate(compile([stmts]), req);
        if (r.decision === 'ImplicitDeny') {
          expect(r.matched).toBeUndefined();
          return;
        }
        const s = stmts[r.matched!.statement]!;
        expect(s.Effect).toBe(r.decision === 'Allow' ? 'Allow' : 'Deny');
        expect(r.matched!.effect).toBe(s.Effect);
      }),
      { numRuns: RUNS },
    );
  });

  test('statements without conditions agree with a regular-expression oracle', () => {
    const noCondition = statement().map((s) => {
      const { Condition: _c, ...rest } = s;
      return rest as PolicyStatement;
    });
    fc.assert(
      fc.property(fc.array(noCondition, { minLength: 1, maxLength: 4 }), request, (stmts, req) => {
        expect(decisionOf([stmts], req)).toBe(oracle(stmts, req));
      }),
      { numRuns: RUNS },
    );
  });
});

function bruteForce(set: CompiledPolicySet, req: AuthorizationRequest): Decision {
  const state = new RequestState(req);
  const action = req.action.toLowerCase();
  const scan = (g: CompiledGroup | null) => {
    let allow = false;
    let deny = false;
    for (const s of g?.statements ?? []) {
      if (applies(s, action, req.resource, state)) {
        if (s.deny) deny = true;
        else allow = true;
      }
    }
    return { allow, deny };
  };
  const id = scan(set.identity);
  const b = scan(set.boundary);
  const s = scan(set.session);
  if (id.deny || b.deny || s.deny) return 'ExplicitDeny';
  if (!id.allow || (set.boundary && !b.allow) || (set.session && !s.allow)) return 'ImplicitDeny';
  return 'Allow';
}

/** An independent reading of the documentation for Action and Resource, through RegExp. */
function oracle(stmts: PolicyStatement[], req: AuthorizationRequest): Decision {
  const ctx = req.context ?? {};
  const lookup = (name: string): string | undefined => {
    const entry = Object.entries(ctx).find(([k]) => k.toLowerCase() === name.toLowerCase());
    return typeof entry?.[1] === 'string' ? entry[1] : undefined;
  };
  const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const actionRe = (p: string) =>
    new RegExp(`^${[...p].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : quote(c))).join('')}$`, 'is');
  const resourceRe = (p: string): RegExp | null => {
    let out = '';
    let colons = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p[i]!;
      if (c === '$' && p[i + 1] === '{') {
        const end = p.indexOf('}', i);
        const [name, fallback] = p.slice(i + 2, end).split(/\s*,\s*/);
        const v = lookup(name!) ?? fallback?.replace(/^'|'$/g, '');
        if (v === undefined) return null;
        out += quote(v);
        i = end;
        continue;
      }
      if (c === ':') colons++;
      if (c === '*') out += colons >= 5 || p[i + 1] === undefined || p[i + 1] === ':' ? '.*' : '[^:]*';
      else if (c === '?') out += colons >= 5 ? '.' : '[^:]';
      else out += quote(c);
    }
    return new RegExp(`^${out}$`, 's');
  };
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  let allow = false;
  for (const s of stmts) {
    const actions = list(s.Action ?? s.NotAction);
    const aHit = actions.some((p) => p === '*' || actionRe(p).test(req.action));
    const resList = list(s.Resource ?? s.NotResource);
    const rHit = resList.some((p) => p === '*' || (resourceRe(p)?.test(req.resource) ?? false));
    if (aHit === (s.NotAction !== undefined)) continue;
    if (rHit === (s.NotResource !== undefined)) continue;
    if (s.Effect === 'Deny') return 'ExplicitDeny';
    allow = true;
  }
  return allow ? 'Allow' : 'ImplicitDeny';
}
