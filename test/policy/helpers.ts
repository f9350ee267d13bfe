import {
  type AuthorizationRequest,
  compilePolicySet,
  type EvaluationResult,
  evaluate,
  type PolicyDocument,
  type PolicyKind,
  validatePolicyDocument,
} from '../../src/policy/index.ts';

/** Validates a policy written as an object in a test; fails loudly when it is not valid. */
export function valid(doc: unknown, kind: PolicyKind = 'inline'): PolicyDocument {
  const r = validatePolicyDocument(doc, kind);
  if (!r.ok) throw new Error(`test policy is invalid: ${JSON.stringify(r.errors)}`);
  return r.policy;
}

export interface SetSpec {
  identity: unknown[];
  boundary?: unknown;
  session?: unknown[];
}

export function decide(spec: SetSpec, request: AuthorizationRequest): EvaluationResult {
  const set = compilePolicySet({
    identity: spec.identity.map((p, i) => ({ name: `identity${i}`, policy: valid(p) })),
    ...(spec.boundary === undefined
      ? {}
      : { boundary: { name: 'boundary', policy: valid(spec.boundary, 'boundary') } }),
    ...(spec.session === undefined
      ? {}
      : { session: spec.session.map((p, i) => ({ name: `session${i}`, policy: valid(p, 'session') })) }),
  });
  return evaluate(set, request);
}
