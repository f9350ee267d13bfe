import { z } from 'zod';
import { attributesSchema } from '../directory/schemas.ts';

/**
 * What accounts, managed policies, permission sets and assignments may look like, whoever sends
 * them (admin API, apply). The API's OpenAPI document is generated from these same schemas.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const text = (max: number) =>
  z.string().trim().max(max).regex(NO_CONTROL, 'must not contain control characters');

/** 12 digits like an AWS account, or a custom id (letters, digits, `.`, `_`, `-`). */
export const accountIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" and "-", at most 64');

/** Names of policies and permission sets: they appear in ARNs (`assumed-role/NAME/...`). */
export const accessNameSchema = z.string().regex(/^[\w+=,.@-]{1,64}$/, '1–64 letters, digits and +=,.@_-');

/** Tags follow the same rules as user attributes (AWS tag rules). */
export const tagsSchema = attributesSchema;

export const accountCreateSchema = z.strictObject({
  id: accountIdSchema.optional(),
  name: text(256).min(1),
  email: z
    .string()
    .trim()
    .max(320)
    .regex(/^[^\s@]+@[^\s@]+$/, 'not an email address')
    .nullish(),
  tags: tagsSchema.default({}),
});
export type AccountInput = z.input<typeof accountCreateSchema>;

export const accountUpdateSchema = accountCreateSchema.omit({ id: true }).partial().strict();
export type AccountUpdate = z.input<typeof accountUpdateSchema>;

/** A policy document as parsed JSON; the policy engine checks the grammar (with JSON paths). */
export const policyDocumentSchema = z.record(z.string(), z.unknown());

export const policyCreateSchema = z.strictObject({
  name: accessNameSchema,
  description: text(1024).nullish(),
  document: policyDocumentSchema,
});
export type PolicyInput = z.input<typeof policyCreateSchema>;
export const policyUpdateSchema = policyCreateSchema.partial().strict();
export type PolicyUpdate = z.input<typeof policyUpdateSchema>;

const ISO_DURATION = /^PT(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/;
export const MIN_SESSION_SECONDS = 15 * 60;
export const MAX_SESSION_SECONDS = 12 * 3600;

/** `PT1H`, `PT8H`, `PT1H30M` → seconds; undefined when not an ISO-8601 time duration. */
export function isoDurationSeconds(value: string): number | undefined {
  const m = ISO_DURATION.exec(value);
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

export const sessionDurationSchema = z.string().refine((value) => {
  const seconds = isoDurationSeconds(value);
  return seconds !== undefined && seconds >= MIN_SESSION_SECONDS && seconds <= MAX_SESSION_SECONDS;
}, 'an ISO-8601 duration from PT15M to PT12H (e.g. PT1H, PT8H)');

export const permissionSetCreateSchema = z.strictObject({
  name: accessNameSchema,
  description: text(700).nullish(),
  sessionDuration: sessionDurationSchema.default('PT1H'),
  inlinePolicy: policyDocumentSchema.nullish(),
  /** Managed policies by name, at most 20. */
  managedPolicies: z.array(accessNameSchema).max(20).default([]),
  /** A managed policy by name. */
  permissionsBoundary: accessNameSchema.nullish(),
  relayState: z.string().max(240).regex(NO_CONTROL).nullish(),
  tags: tagsSchema.default({}),
});
export type PermissionSetInput = z.input<typeof permissionSetCreateSchema>;
export const permissionSetUpdateSchema = permissionSetCreateSchema
  .extend({
    sessionDuration: sessionDurationSchema.optional(),
    managedPolicies: z.array(accessNameSchema).max(20).optional(),
    tags: tagsSchema.optional(),
  })
  .partial()
  .strict();
export type PermissionSetUpdate = z.input<typeof permissionSetUpdateSchema>;

export const assignmentCreateSchema = z
  .strictObject({
    accountId: accountIdSchema,
    permissionSetId: z.guid(),
    userId: z.guid().optional(),
    groupId: z.guid().optional(),
  })
  .refine((a) => (a.userId === undefined) !== (a.groupId === undefined), {
    message: 'exactly one of userId and groupId',
    path: ['userId'],
  });
export type AssignmentInput = z.input<typeof assignmentCreateSchema>;
