// The request context as the evaluator sees it: case-insensitive keys (IAM User Guide, "Condition":
// "Condition key names are not case-sensitive"), values from the caller first, then values derived
// from the principal ARN. One RequestState lives for one decision.

import type { Resolve } from './glob.ts';
import type { AuthorizationRequest, RequestContext, StatementRef } from './types.ts';

export type ContextValue = string | string[];

export class RequestState {
  readonly context: RequestContext | undefined;
  readonly principal: string | undefined;
  private index: Map<string, ContextValue> | null = null;
  /** The Deny statement that decided, once one applies. */
  denied: StatementRef | null = null;

  constructor(request: AuthorizationRequest) {
    this.context = request.context ?? undefined; // null from JSON callers is no context
    this.principal = request.principal;
  }

  /** The value of a context key; `lower` is the lower-cased name, `written` the name as the policy spells it. */
  get(lower: string, written: string): ContextValue | undefined {
    const ctx = this.context;
    if (ctx !== undefined) {
      // The policy usually spells the key as the caller does: try that before building the index.
      if (Object.hasOwn(ctx, written)) return normalize(ctx[written]);
      if (this.index === null) this.index = buildIndex(ctx);
      const v = this.index.get(lower);
      if (v !== undefined) return v;
    }
    return this.principal === undefined ? undefined : derived(lower, this.principal);
  }

  /** Policy variables take single-valued keys only; a multivalued key leaves the variable unresolved. */
  readonly resolve: Resolve = (lower, written) => {
    const v = this.get(lower, written);
    if (typeof v === 'string') return v;
    if (v !== undefined && v.length === 1) return v[0];
    return undefined;
  };
}

function buildIndex(ctx: RequestContext): Map<string, ContextValue> {
  const index = new Map<string, ContextValue>();
  for (const k of Object.keys(ctx)) {
    const v = normalize(ctx[k]);
    if (v !== undefined) index.set(k.toLowerCase(), v);
  }
  return index;
}

// Callers may hand over numbers or booleans from JSON; compare them as the strings they print as.
function normalize(v: unknown): ContextValue | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? v : v.map((x) => String(x));
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Keys implied by the principal ARN when the caller did not supply them. */
function derived(lower: string, principal: string): string | undefined {
  switch (lower) {
    case 'aws:principalarn':
      return principal;
    case 'aws:principalaccount': {
      const parts = principal.split(':');
      return parts.length >= 6 && parts[0] === 'arn' && parts[4] ? parts[4] : undefined;
    }
    case 'aws:username': {
      // arn:aws:iam::111122223333:user/division/name → name
      const m = /^arn:[^:]+:iam::[^:]*:user\/(?:.*\/)?([^/]+)$/.exec(principal);
      return m ? m[1] : undefined;
    }
    default:
      return undefined;
  }
}
