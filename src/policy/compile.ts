// Compiles a permission set's policies once (when it is saved or loaded) into matchers indexed by
// service prefix, so a decision only looks at statements that can apply to the action.

import { type CompiledCondition, compileConditions } from './conditions.ts';
import { compileGlob, compileText, type Glob } from './glob.ts';
import { parseTemplate } from './template.ts';
import type {
  NamedPolicy,
  PolicyDocument,
  PolicyError,
  PolicySetInput,
  PolicyStatement,
  PolicyType,
  StatementRef,
} from './types.ts';
import { documentErrors } from './validate.ts';

export interface CompiledStatement {
  deny: boolean;
  ref: StatementRef;
  notAction: boolean;
  /** Action (or NotAction) is `*`. */
  actionAll: boolean;
  /** Lower-cased action patterns. */
  actions: Glob[];
  notResource: boolean;
  resourceAll: boolean;
  resources: Glob[];
  conditions: CompiledCondition[] | null;
  /** Lower-cased service prefixes the statement can apply to; null: any service. */
  services: Set<string> | null;
}

export interface CompiledGroup {
  type: PolicyType;
  /** Statements that may apply to an action of a service, in policy and statement order. */
  byService: Map<string, CompiledStatement[]>;
  /** Statements that may apply to an action of any other service. */
  anyService: CompiledStatement[];
  /** Every statement, in policy and statement order. */
  statements: CompiledStatement[];
}

export interface CompiledPolicySet {
  identity: CompiledGroup;
  boundary: CompiledGroup | null;
  session: CompiledGroup | null;
}

/** Thrown by compilePolicySet when a policy is not valid; carries every error. */
export class PolicyCompileError extends Error {
  readonly policy: string;
  readonly errors: PolicyError[];
  constructor(policy: string, errors: PolicyError[]) {
    super(`policy "${policy}" is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    this.name = 'PolicyCompileError';
    this.policy = policy;
    this.errors = errors;
  }
}

export function compilePolicySet(input: PolicySetInput): CompiledPolicySet {
  if (!input || !Array.isArray(input.identity)) throw new TypeError('identity must be an array of policies');
  return {
    identity: compileGroup('identity', input.identity),
    boundary: input.boundary ? compileGroup('boundary', [input.boundary]) : null,
    // No session policies (absent or an empty list) means the session is not narrowed.
    session: input.session && input.session.length > 0 ? compileGroup('session', input.session) : null,
  };
}

function compileGroup(type: PolicyType, policies: NamedPolicy[]): CompiledGroup {
  const statements: CompiledStatement[] = [];
  for (const p of policies) {
    if (!p || typeof p.name !== 'string' || p.name === '') throw new TypeError('every policy needs a name');
    const errors = documentErrors(p.policy);
    if (errors.length > 0) throw new PolicyCompileError(p.name, errors);
    statements.push(...compilePolicy(p.name, type, p.policy));
  }
  const services = new Set<string>();
  for (const s of statements) if (s.services) for (const svc of s.services) services.add(svc);
  const byService = new Map<string, CompiledStatement[]>();
  for (const svc of services) {
    byService.set(
      svc,
      statements.filter((s) => s.services === null || s.services.has(svc)),
    );
  }
  return {
    type,
    byService,
    anyService: statements.filter((s) => s.services === null),
    statements,
  };
}

function compilePolicy(name: string, type: PolicyType, doc: PolicyDocument): CompiledStatement[] {
  const variables = doc.Version === '2012-10-17';
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return list.map((st, i) => compileStatement(st, Object.freeze(ref(name, type, i, st)), variables));
}

function ref(policy: string, policyType: PolicyType, statement: number, st: PolicyStatement): StatementRef {
  const r: StatementRef = { policy, policyType, statement, effect: st.Effect };
  if (st.Sid) r.sid = st.Sid;
  return r;
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function compileStatement(st: PolicyStatement, r: StatementRef, variables: boolean): CompiledStatement {
  const notAction = st.NotAction !== undefined;
  const actionList = asList(notAction ? st.NotAction : st.Action);
  const actionAll = actionList.includes('*');
  const notResource = st.NotResource !== undefined;
  const resourceList = asList(notResource ? st.NotResource : st.Resource);
  const resourceAll = resourceList.includes('*');
  let services: Set<string> | null = null;
  if (!notAction && !actionAll)
    services = new Set(actionList.map((a) => a.slice(0, a.indexOf(':')).toLowerCase()));
  return {
    deny: st.Effect === 'Deny',
    ref: r,
    notAction,
    actionAll,
    actions: actionAll ? [] : actionList.map((a) => compileText(a.toLowerCase(), 'plain')),
    notResource,
    resourceAll,
    resources: resourceAll
      ? []
      : resourceList.map((res) => compileGlob(parseTemplate(res, variables).parts, 'resource', res)),
    conditions:
      st.Condition && Object.keys(st.Condition).length > 0
        ? compileConditions(st.Condition, variables)
        : null,
    services,
  };
}
