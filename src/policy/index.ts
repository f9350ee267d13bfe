// IAM policy engine: grammar and validation, compilation, evaluation with explanations.
// Pure domain code: no I/O, no HTTP.
//
//   validatePolicy(text, kind) → { ok: true, policy } | { ok: false, errors: [{ path, message }] }
//     Raw JSON text (so duplicate keys and the non-whitespace size can be checked); never throws.
//     kind: 'inline' (10,240 chars) | 'managed' (6,144) | 'boundary' (6,144) | 'session' (2,048).
//     Paths look like `Statement[2].Condition.DateLessThan.aws:TokenIssueTime`; `$` is the document.
//   validatePolicyDocument(object, kind) → same, for documents already parsed (e.g. from YAML).
//
//   compilePolicySet({ identity: [{ name, policy }], boundary?: { name, policy }, session?: [...] })
//     → CompiledPolicySet. Do it when a permission set is saved or loaded, not per request.
//     Throws PolicyCompileError (with .errors) if a policy is invalid.
//
//   evaluate(compiledSet, { principal?, action, resource, context? }) → EvaluationResult
//     { decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny',
//       matched?: { policy, policyType, statement, sid?, effect },  // the granting or denying statement
//       boundary?, session?,    // the boundary / session statements that also allowed (Allow only)
//       missingAllow? }         // ImplicitDeny: 'identity' | 'boundary' | 'session'
//     context: Record<string, string | string[]>, keys case-insensitive, an array = multivalued key.
//     Results are plain JSON data, fit for audit entries (read-only: parts are shared and frozen);
//     describeDecision(result) gives a sentence for people.

export { type CompiledPolicySet, compilePolicySet, PolicyCompileError } from './compile.ts';
export { describeDecision, evaluate } from './evaluate.ts';
export type {
  AuthorizationRequest,
  ConditionValue,
  Decision,
  EvaluationResult,
  NamedPolicy,
  PolicyDocument,
  PolicyError,
  PolicyKind,
  PolicySetInput,
  PolicyStatement,
  PolicyType,
  RequestContext,
  StatementRef,
  ValidationResult,
} from './types.ts';
export { SIZE_LIMITS, validatePolicy, validatePolicyDocument } from './validate.ts';
