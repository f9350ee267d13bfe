import { z } from 'zod';
import {
  accountCreateSchema,
  accountIdSchema,
  accountUpdateSchema,
  assignmentCreateSchema,
  permissionSetCreateSchema,
  permissionSetUpdateSchema,
  policyCreateSchema,
  policyUpdateSchema,
} from '../../access/schemas.ts';
import { authorizeRequestSchema } from '../../credentials/decision-api.ts';
import {
  createGroupSchema,
  createUserSchema,
  sourceSchema,
  updateGroupSchema,
  updateUserSchema,
  userStatusSchema,
} from '../../directory/schemas.ts';
import { createScimTokenSchema } from '../../scim/tokens.ts';
import { scopeSchema } from '../../tokens/scopes.ts';
import { createTokenSchema } from '../../tokens/tokens.ts';

/**
 * What goes over the wire. Request bodies are the domain's own schemas (the same objects that the
 * domain functions validate with); responses are described here. Both are registered under a
 * component name, and the OpenAPI document refers to them by that name.
 */
export const requestSchemas = z.registry<{ id: string }>();
export const responseSchemas = z.registry<{ id: string }>();

const request = <S extends z.ZodType>(id: string, schema: S): S => {
  requestSchemas.add(schema, { id });
  return schema;
};
const response = <S extends z.ZodType>(id: string, schema: S): S => {
  responseSchemas.add(schema, { id });
  return schema;
};

// ---- request bodies ------------------------------------------------------------------------

export const userCreateBody = request('UserCreate', createUserSchema);
export const userUpdateBody = request('UserUpdate', updateUserSchema);
export const groupCreateBody = request('GroupCreate', createGroupSchema);
export const groupUpdateBody = request('GroupUpdate', updateGroupSchema);
export const tokenCreateBody = request('TokenCreate', createTokenSchema);
export const scimTokenCreateBody = request('ScimTokenCreate', createScimTokenSchema);
export const passwordResetBody = request(
  'PasswordReset',
  z.strictObject({
    temporaryPassword: z
      .string()
      .max(4096)
      .optional()
      .describe(
        'Set this password, to be changed at the next sign-in. Without it, a one-time link is returned.',
      ),
  }),
);
export const passwordResetResponse = response(
  'PasswordResetResult',
  z.strictObject({
    setupLink: z
      .string()
      .nullable()
      .describe('One-time link for the user to choose a password (shown once), or null'),
    expiresAt: z.string().nullable(),
  }),
);
export const statusChangeBody = request(
  'StatusChange',
  z.strictObject({
    reason: z
      .string()
      .trim()
      .max(512)
      .regex(/^\P{Cc}*$/u, 'must not contain control characters')
      .optional()
      .describe('why; kept in the audit log'),
  }),
);

// ---- query strings -------------------------------------------------------------------------

const limit = z.coerce.number().int().min(1).max(200).default(50).describe('page size');
const cursor = z.string().max(1024).optional().describe('`nextCursor` of the previous page');

export const userListQuery = z.strictObject({
  limit,
  cursor,
  status: userStatusSchema.optional(),
  source: sourceSchema.optional().describe('`builtin`, `scim` or `ldap:<connector>`'),
  search: z
    .string()
    .max(256)
    .optional()
    .describe('case-insensitive prefix of the user name or display name, or an exact email address'),
  group: z.guid().optional().describe('members of this group, directly or through nested groups'),
});

export const groupListQuery = z.strictObject({
  limit,
  cursor,
  source: sourceSchema.optional().describe('`builtin`, `scim` or `ldap:<connector>`'),
  search: z.string().max(256).optional().describe('case-insensitive prefix of the group name'),
});

export const memberListQuery = z.strictObject({ limit, cursor });

export const auditQuery = z.strictObject({
  action: z
    .string()
    .max(128)
    .regex(
      /^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*(\.\*)?$/,
      'an action like user.create, or a prefix like user.*',
    )
    .optional()
    .describe('an action (`user.create`) or a prefix of actions (`user.*`)'),
  actor: z.string().max(256).optional().describe('`token:<id>`, `user:<id>`, `cli`, `system`…'),
  target: z.string().max(256).optional().describe('`user:<id>`, `group:<id>`, `token:<id>`…'),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('entries at or after this instant'),
  until: z.iso.datetime({ offset: true }).optional().describe('entries before this instant'),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .describe('`nextBefore` of the previous page: entries older than this sequence number'),
  limit,
});

// ---- responses -----------------------------------------------------------------------------

const timestamp = z.iso.datetime();
const id = z.guid();
const nextCursor = z
  .string()
  .nullable()
  .describe('pass as `cursor` for the next page; null on the last page');

export const userResponse = response(
  'User',
  z.strictObject({
    id,
    userName: z.string(),
    displayName: z.string().nullable(),
    givenName: z.string().nullable(),
    familyName: z.string().nullable(),
    emails: z.array(
      z.strictObject({ value: z.string(), type: z.string().optional(), primary: z.boolean().optional() }),
    ),
    attributes: z.record(z.string(), z.string()),
    status: userStatusSchema,
    source: z.string(),
    externalId: z.string().nullable(),
    isRoot: z.boolean(),
    validAfter: timestamp.describe('everything issued to the user before this instant is invalid'),
    version: z.number().int().describe('increases with every change; the ETag is W/"<version>"'),
    createdAt: timestamp,
    updatedAt: timestamp,
    erasedAt: timestamp.nullable(),
  }),
);

export const userPageResponse = response(
  'UserPage',
  z.strictObject({ users: z.array(userResponse), nextCursor }),
);

export const groupResponse = response(
  'Group',
  z.strictObject({
    id,
    name: z.string(),
    description: z.string().nullable(),
    source: z.string(),
    externalId: z.string().nullable(),
    version: z.number().int().describe('increases with every change; the ETag is W/"<version>"'),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
);

export const groupPageResponse = response(
  'GroupPage',
  z.strictObject({ groups: z.array(groupResponse), nextCursor }),
);

export const memberPageResponse = response(
  'MemberPage',
  z.strictObject({
    members: z.array(
      z.strictObject({
        type: z.enum(['user', 'group']),
        id,
        name: z.string().describe('user name or group name'),
        since: timestamp,
      }),
    ),
    nextCursor,
  }),
);

export const membershipChangeResponse = response(
  'MembershipChange',
  z.strictObject({
    changed: z.boolean().describe('false when the membership already was (PUT) or was not (DELETE) there'),
  }),
);

export const effectiveGroupsResponse = response(
  'EffectiveGroups',
  z.strictObject({
    groups: z.array(
      z.strictObject({
        id,
        name: z.string(),
        source: z.string(),
        depth: z.number().int().min(1).describe('1: a direct membership; 2: through one nested group; …'),
      }),
    ),
  }),
);

export const auditPageResponse = response(
  'AuditPage',
  z.strictObject({
    entries: z.array(
      z.strictObject({
        seq: z.number().int(),
        at: timestamp,
        actor: z.string(),
        action: z.string(),
        target: z.string().nullable(),
        outcome: z.enum(['success', 'failure', 'denied']),
        ip: z.string().nullable(),
        requestId: z.string().nullable(),
        details: z.record(z.string(), z.unknown()),
        prevHash: z.string().describe('hash of the previous entry (the log is a hash chain)'),
        hash: z.string(),
      }),
    ),
    nextBefore: z
      .number()
      .int()
      .nullable()
      .describe('pass as `before` for the next (older) page; null on the last page'),
  }),
);

const tokenFields = {
  id,
  kind: z
    .enum(['admin', 'scim'])
    .describe('admin API token, or SCIM provisioning token (good for /scim/v2 only)'),
  name: z.string(),
  scopes: z.array(scopeSchema).describe('admin API scopes; empty for SCIM tokens'),
  createdBy: z.string().describe('the actor that created it'),
  createdAt: timestamp,
  expiresAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
  lastUsedAt: timestamp.nullable().describe('to the minute'),
};
export const tokenResponse = response('Token', z.strictObject(tokenFields));
export const tokenListResponse = response('TokenList', z.strictObject({ tokens: z.array(tokenResponse) }));
export const createdTokenResponse = response(
  'CreatedToken',
  z.strictObject({
    ...tokenFields,
    token: z.string().describe('the bearer token: shown here once, never again (only its hash is kept)'),
  }),
);

export const openApiResponse = response(
  'OpenApiDocument',
  z.record(z.string(), z.unknown()).describe('this document'),
);

export const errorResponse = response(
  'Error',
  z.strictObject({
    error: z.strictObject({
      code: z.string().describe('stable: `<domain>.<reason>`, e.g. `directory.user_not_found`'),
      message: z.string(),
      requestId: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  }),
);

// ---- directory connectors ------------------------------------------------------------------

const syncCounts = z.strictObject({
  added: z.number(),
  updated: z.number(),
  disabled: z.number(),
  removed: z.number(),
  reactivated: z.number(),
  errors: z.number(),
  groupsAdded: z.number(),
  groupsUpdated: z.number(),
  groupsRemoved: z.number(),
  membershipsAdded: z.number(),
  membershipsRemoved: z.number(),
});
const pendingConfirmation = z.strictObject({
  token: z.string().describe('Pass it back to confirm exactly this hold'),
  at: z.string(),
  kind: z.enum(['full', 'incremental']),
  disable: z.number(),
  deprovision: z.number(),
  base: z.number().describe("The connector's users the share was computed from"),
});
const syncRun = z.strictObject({
  kind: z.enum(['full', 'incremental']),
  trigger: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  outcome: z.enum(['applied', 'held', 'incomplete', 'failed']),
  complete: z.boolean(),
  counts: syncCounts,
  error: z.string().nullable(),
});
export const connectorListResponse = response(
  'ConnectorList',
  z.strictObject({
    connectors: z.array(
      z.strictObject({
        id: z.string(),
        type: z.string(),
        lastRuns: z.array(syncRun).describe('The last run of each kind'),
        pendingConfirmation: pendingConfirmation.nullable(),
      }),
    ),
  }),
);
export const syncRequestBody = request(
  'SyncRequest',
  z.strictObject({
    full: z.boolean().optional().describe('A full sync (the only kind that deprovisions absent users)'),
    confirm: z
      .string()
      .optional()
      .describe(
        'The token of a held sync: apply it (a full sync that may disable and deprovision up to the held counts)',
      ),
  }),
);
export const syncResultResponse = response('SyncResult', z.strictObject({ runs: z.array(syncRun) }));

// ---- access: accounts, policies, permission sets, assignments, decisions ----------------------

export const accountCreateBody = request('AccountCreate', accountCreateSchema);
export const accountUpdateBody = request('AccountUpdate', accountUpdateSchema);
export const policyCreateBody = request('PolicyCreate', policyCreateSchema);
export const policyUpdateBody = request('PolicyUpdate', policyUpdateSchema);
export const permissionSetCreateBody = request('PermissionSetCreate', permissionSetCreateSchema);
export const permissionSetUpdateBody = request('PermissionSetUpdate', permissionSetUpdateSchema);
export const assignmentCreateBody = request('AssignmentCreate', assignmentCreateSchema);
export const authorizeBody = request('AuthorizeRequest', authorizeRequestSchema);
export const simulateBody = request(
  'SimulateRequest',
  z.strictObject({
    userId: z.guid(),
    accountId: accountIdSchema,
    permissionSetId: z.guid(),
    action: z.string().min(1).max(256),
    resource: z.string().min(1).max(2048),
    context: z
      .record(z.string().max(256), z.union([z.string().max(4096), z.array(z.string().max(4096))]))
      .optional(),
    mfa: z.boolean().optional(),
    sourceIp: z.string().max(64).optional(),
    region: z.string().max(64).optional(),
  }),
);

export const assignmentListQuery = z.strictObject({
  accountId: accountIdSchema.optional(),
  permissionSetId: z.guid().optional(),
  userId: z.guid().optional(),
  groupId: z.guid().optional(),
});

const tags = z.record(z.string(), z.string());
const policyDocument = z.record(z.string(), z.unknown()).describe('IAM policy document');

export const accountResponse = response(
  'Account',
  z.strictObject({
    id: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    tags,
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
);
export const accountListResponse = response(
  'AccountList',
  z.strictObject({ accounts: z.array(accountResponse) }),
);

export const policyResponse = response(
  'Policy',
  z.strictObject({
    id,
    name: z.string(),
    description: z.string().nullable(),
    document: policyDocument,
    version: z.number().int().describe('increases with every change of the document'),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
);
export const policyListResponse = response(
  'PolicyList',
  z.strictObject({ policies: z.array(policyResponse) }),
);

export const permissionSetResponse = response(
  'PermissionSet',
  z.strictObject({
    id,
    name: z.string(),
    description: z.string().nullable(),
    sessionDuration: z.string().describe('ISO-8601, PT15M–PT12H'),
    inlinePolicy: policyDocument.nullable(),
    managedPolicies: z.array(z.string()),
    permissionsBoundary: z.string().nullable(),
    relayState: z.string().nullable(),
    tags,
    version: z.number().int().describe('increases with every change of the set or of a policy it uses'),
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
);
export const permissionSetListResponse = response(
  'PermissionSetList',
  z.strictObject({ permissionSets: z.array(permissionSetResponse) }),
);

export const assignmentResponse = response(
  'Assignment',
  z.strictObject({
    id,
    accountId: z.string(),
    permissionSetId: id,
    userId: id.nullable(),
    groupId: id.nullable(),
    createdAt: timestamp,
  }),
);
export const assignmentListResponse = response(
  'AssignmentList',
  z.strictObject({ assignments: z.array(assignmentResponse) }),
);

const statementRef = z
  .strictObject({
    policy: z.string(),
    policyType: z.enum(['identity', 'boundary', 'session']),
    statement: z.number().int(),
    sid: z.string().optional(),
    effect: z.enum(['Allow', 'Deny']),
  })
  .nullable();

export const simulateResponse = response(
  'SimulateResult',
  z.strictObject({
    allowed: z.boolean(),
    decision: z.enum(['Allow', 'ExplicitDeny', 'ImplicitDeny']),
    statement: statementRef,
    explanation: z.string(),
    assigned: z.boolean(),
    principalArn: z.string(),
  }),
);

export const authorizeResponse = response(
  'AuthorizeResult',
  z.strictObject({
    allowed: z.boolean(),
    decision: z.enum(['Allow', 'ExplicitDeny', 'ImplicitDeny']).nullable(),
    principal: z
      .strictObject({
        userId: id,
        userName: z.string(),
        accountId: z.string(),
        permissionSetId: id,
        permissionSetName: z.string(),
        permissionSetVersion: z.number().int(),
        sessionId: z.string(),
        arn: z.string(),
        issuedAt: timestamp,
        expiresAt: timestamp,
        mfa: z.boolean(),
        sourceIdentity: z.string().optional(),
      })
      .nullable(),
    statement: statementRef,
    explanation: z.string(),
    error: z
      .strictObject({ code: z.string(), message: z.string(), status: z.number().int() })
      .nullable()
      .describe('the AWS error to answer the client with, when the request could not be authenticated'),
  }),
);
