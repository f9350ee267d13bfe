// The decision (IAM User Guide, "Policy evaluation logic", for one account without resource-based
// policies or SCPs):
// 1. an applicable Deny in any policy (identity, boundary or session) → ExplicitDeny;
// 2. no identity statement allows → ImplicitDeny;
// 3. a boundary is set and none of its statements allows → ImplicitDeny;
// 4. session policies are present and none of their statements allows → ImplicitDeny;
// 5. otherwise Allow.
// A statement applies when its Action/NotAction, Resource/NotResource and every condition match.

import type { CompiledGroup, CompiledPolicySet, CompiledStatement } from './compile.ts';
import { evaluateCondition } from './conditions.ts';
import { RequestState } from './context.ts';
import type { AuthorizationRequest, EvaluationResult, PolicyType, StatementRef } from './types.ts';

const NO_IDENTITY_ALLOW: EvaluationResult = Object.freeze({
  decision: 'ImplicitDeny',
  missingAllow: 'identity',
});
const NO_BOUNDARY_ALLOW: EvaluationResult = Object.freeze({
  decision: 'ImplicitDeny',
  missingAllow: 'boundary',
});
const NO_SESSION_ALLOW: EvaluationResult = Object.freeze({
  decision: 'ImplicitDeny',
  missingAllow: 'session',
});

export function evaluate(set: CompiledPolicySet, request: AuthorizationRequest): EvaluationResult {
  const action = request.action.toLowerCase();
  const colon = action.indexOf(':');
  const service = colon < 0 ? action : action.slice(0, colon);
  const resource = request.resource;
  const state = new RequestState(request);

  const identityAllow = scan(set.identity, service, action, resource, state);
  if (state.denied) return { decision: 'ExplicitDeny', matched: state.denied };
  const boundaryAllow = set.boundary ? scan(set.boundary, service, action, resource, state) : null;
  if (state.denied) return { decision: 'ExplicitDeny', matched: state.denied };
  const sessionAllow = set.session ? scan(set.session, service, action, resource, state) : null;
  if (state.denied) return { decision: 'ExplicitDeny', matched: state.denied };

  if (!identityAllow) return NO_IDENTITY_ALLOW;
  if (set.boundary && !boundaryAllow) return NO_BOUNDARY_ALLOW;
  if (set.session && !sessionAllow) return NO_SESSION_ALLOW;
  const result: EvaluationResult = { decision: 'Allow', matched: identityAllow };
  if (boundaryAllow) result.boundary = boundaryAllow;
  if (sessionAllow) result.session = sessionAllow;
  return result;
}

/** Returns the first allowing statement of a group; records an applicable Deny in `state` and stops. */
function scan(
  group: CompiledGroup,
  service: string,
  action: string,
  resource: string,
  state: RequestState,
): StatementRef | null {
  const list = group.byService.get(service) ?? group.anyService;
  let allow: StatementRef | null = null;
  for (let i = 0; i < list.length; i++) {
    const st = list[i]!;
    // Once something allows, only a Deny can still change the outcome.
    if (allow !== null && !st.deny) continue;
    if (!applies(st, action, resource, state)) continue;
    if (st.deny) {
      state.denied = st.ref;
      return allow;
    }
    allow = st.ref;
  }
  return allow;
}

export function applies(
  st: CompiledStatement,
  action: string,
  resource: string,
  state: RequestState,
): boolean {
  let actionMatch = st.actionAll;
  if (!actionMatch) {
    const actions = st.actions;
    for (let i = 0; i < actions.length; i++) {
      if (actions[i]!.test(action, state.resolve)) {
        actionMatch = true;
        break;
      }
    }
  }
  if (actionMatch === st.notAction) return false;
  let resourceMatch = st.resourceAll;
  if (!resourceMatch) {
    const resources = st.resources;
    for (let i = 0; i < resources.length; i++) {
      if (resources[i]!.test(resource, state.resolve)) {
        resourceMatch = true;
        break;
      }
    }
  }
  if (resourceMatch === st.notResource) return false;
  const conditions = st.conditions;
  if (conditions !== null) {
    for (let i = 0; i < conditions.length; i++) if (!evaluateCondition(conditions[i]!, state)) return false;
  }
  return true;
}

const LAYER: Record<PolicyType, string> = {
  identity: 'identity-based policy',
  boundary: 'permissions boundary',
  session: 'session policy',
};

function describeRef(r: StatementRef): string {
  const sid = r.sid ? ` (Sid ${r.sid})` : '';
  return `Statement[${r.statement}]${sid} of ${LAYER[r.policyType]} "${r.policy}"`;
}

/** One sentence explaining a decision, for the simulate command and audit entries. */
export function describeDecision(result: EvaluationResult): string {
  switch (result.decision) {
    case 'ExplicitDeny':
      return `Explicitly denied by ${describeRef(result.matched!)}.`;
    case 'ImplicitDeny':
      if (result.missingAllow === 'boundary')
        return 'Implicitly denied: the permissions boundary does not allow it.';
      if (result.missingAllow === 'session') return 'Implicitly denied: no session policy allows it.';
      return 'Implicitly denied: no identity-based policy allows it.';
    case 'Allow': {
      let s = `Allowed by ${describeRef(result.matched!)}`;
      if (result.boundary) s += `, within ${describeRef(result.boundary)}`;
      if (result.session) s += `, within ${describeRef(result.session)}`;
      return `${s}.`;
    }
  }
}
