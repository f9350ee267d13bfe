// Public shapes of the policy engine: documents, requests, decisions.

/** Where a policy is used; decides its size limit. All four are identity-side: no Principal allowed. */
export type PolicyKind = 'inline' | 'managed' | 'boundary' | 'session';

export interface PolicyError {
  /** JSON path, e.g. `Statement[2].Condition.DateLessThan.aws:TokenIssueTime`; `$` is the document. */
  path: string;
  message: string;
}

export type ConditionValue = string | number | boolean;

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, ConditionValue | ConditionValue[]>>;
}

/** A validated IAM policy document, as written (single values and arrays kept as they were). */
export interface PolicyDocument {
  Version?: '2012-10-17' | '2008-10-17';
  Id?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export type ValidationResult = { ok: true; policy: PolicyDocument } | { ok: false; errors: PolicyError[] };

/** A policy with the name explanations and audit entries refer to it by. */
export interface NamedPolicy {
  name: string;
  policy: PolicyDocument;
}

export interface PolicySetInput {
  /** Identity-based policies (managed and inline policies of the permission set): the union grants. */
  identity: NamedPolicy[];
  /** Permissions boundary: caps what identity policies grant. */
  boundary?: NamedPolicy;
  /** Session policies passed when the session was created: together they cap the session. */
  session?: NamedPolicy[];
}

/** Request context: key names are case-insensitive; an array is a multivalued key. */
export type RequestContext = Record<string, string | string[]>;

export interface AuthorizationRequest {
  /** ARN of the caller; supplies aws:PrincipalArn, aws:PrincipalAccount and (for users) aws:username when absent from context. */
  principal?: string;
  action: string;
  resource: string;
  context?: RequestContext;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export type PolicyType = 'identity' | 'boundary' | 'session';

/** Points at one statement: `statement` is its index as in error paths (`Statement[2]`). */
export interface StatementRef {
  policy: string;
  policyType: PolicyType;
  statement: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
}

export interface EvaluationResult {
  decision: Decision;
  /** Allow: the identity statement that granted; ExplicitDeny: the statement that denied. */
  matched?: StatementRef;
  /** Allow under a boundary: the boundary statement that permitted it. */
  boundary?: StatementRef;
  /** Allow under session policies: the session statement that permitted it. */
  session?: StatementRef;
  /** ImplicitDeny: the layer in which no statement allowed the request. */
  missingAllow?: PolicyType;
}
