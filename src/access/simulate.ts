import { decide, principalArn } from '../credentials/verifier.ts';
import { getUser } from '../directory/users.ts';
import { GatehouseError } from '../errors.ts';
import type { RequestContext, StatementRef } from '../policy/index.ts';
import type { Queryable } from '../store/db.ts';
import { effectiveAccess } from './assignments.ts';
import type { PermissionSetCatalog } from './catalog.ts';

export interface SimulateInput {
  userId: string;
  accountId: string;
  permissionSetId: string;
  action: string;
  resource: string;
  context?: RequestContext | undefined;
  /** Whether the session would have MFA (default true). */
  mfa?: boolean | undefined;
  sourceIp?: string | undefined;
  region?: string | undefined;
}

export interface SimulateResult {
  allowed: boolean;
  decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  statement: StatementRef | null;
  explanation: string;
  /** Whether the user holds the permission set in the account now (credentials need it). */
  assigned: boolean;
  principalArn: string;
}

/**
 * What a user's credentials for (account, permission set) would be allowed to do: the decision as
 * the verifier makes it, with the same context keys, against the permission set as saved now.
 */
export async function simulate(
  q: Queryable,
  catalog: PermissionSetCatalog,
  input: SimulateInput,
): Promise<SimulateResult> {
  const user = await getUser(q, input.userId);
  await catalog.refresh();
  const set = catalog.get(input.permissionSetId);
  if (!set) {
    throw new GatehouseError(
      'not_found',
      'access.permission_set_not_found',
      `no permission set ${input.permissionSetId}`,
    );
  }
  const assigned = (await effectiveAccess(q, user.id)).some(
    (a) => a.accountId === input.accountId && a.permissionSetId === set.id,
  );
  const at = Date.now();
  const arn = principalArn(input.accountId, set.name, user.userName);
  const claims = {
    userId: user.id,
    userName: user.userName,
    accountId: input.accountId,
    permissionSetId: set.id,
    permissionSetVersion: set.version,
    sessionId: 'simulation',
    issuedAt: at,
    expiresAt: at + 3600_000,
    mfa: input.mfa ?? true,
    tags: user.attributes,
  };
  const result = decide(
    set,
    claims,
    {
      userId: user.id,
      userName: user.userName,
      accountId: input.accountId,
      permissionSetId: set.id,
      permissionSetName: set.name,
      permissionSetVersion: set.version,
      sessionId: 'simulation',
      arn,
      issuedAt: new Date(at).toISOString(),
      expiresAt: new Date(claims.expiresAt).toISOString(),
      mfa: claims.mfa,
    },
    input.region ?? 'us-east-1',
    {
      action: input.action,
      resource: input.resource,
      ...(input.context ? { context: input.context } : {}),
      ...(input.sourceIp ? { sourceIp: input.sourceIp } : {}),
    },
    at,
  );
  return {
    allowed: result.allowed,
    decision: result.decision,
    statement: result.statement ?? null,
    explanation: assigned
      ? result.explanation
      : `${result.explanation} (Note: the user is not assigned this permission set in this account, so cannot obtain credentials for it.)`,
    assigned,
    principalArn: arn,
  };
}
