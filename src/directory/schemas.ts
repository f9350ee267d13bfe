import { z } from 'zod';

/**
 * What a user or group may look like, whoever sends it (admin API, apply, connectors, SCIM).
 * The API's OpenAPI document is generated from these same schemas.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

export const userNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(NO_CONTROL, 'must not contain control characters')
  .regex(/^[^\s]+$/, 'must not contain spaces');

const text = (max: number) =>
  z.string().trim().max(max).regex(NO_CONTROL, 'must not contain control characters');

export const emailSchema = z.strictObject({
  value: z
    .string()
    .trim()
    .max(320)
    .regex(/^[^\s@]+@[^\s@]+$/, 'not an email address'),
  type: z.string().max(32).optional(),
  primary: z.boolean().optional(),
});
/** Emails as objects ({ value, type, primary }) or plain strings. */
export const emailsSchema = z
  .array(
    z.union([
      z
        .string()
        .transform((value) => ({ value }))
        .pipe(emailSchema),
      emailSchema,
    ]),
  )
  .max(20);

/** Free attributes; they become session tags (aws:PrincipalTag/KEY), so they follow AWS tag rules. */
export const attributesSchema = z
  .record(
    z
      .string()
      .regex(
        /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u,
        'attribute names: 1–128 letters, digits, spaces and _.:/=+-@',
      ),
    z.string().max(256),
  )
  .refine((value) => Object.keys(value).length <= 50, 'at most 50 attributes');

export const userStatusSchema = z.enum(['active', 'disabled', 'deprovisioned']);

export const createUserSchema = z.strictObject({
  userName: userNameSchema,
  displayName: text(256).nullish(),
  givenName: text(128).nullish(),
  familyName: text(128).nullish(),
  emails: emailsSchema.default([]),
  attributes: attributesSchema.default({}),
  externalId: z.string().max(256).nullish(),
});
export type CreateUserInput = z.input<typeof createUserSchema>;

export const updateUserSchema = z.strictObject({
  userName: userNameSchema.optional(),
  displayName: text(256).nullish(),
  givenName: text(128).nullish(),
  familyName: text(128).nullish(),
  emails: emailsSchema.optional(),
  attributes: attributesSchema.optional(),
  externalId: z.string().max(256).nullish(),
});
export type UpdateUserInput = z.input<typeof updateUserSchema>;

export const groupNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(NO_CONTROL, 'must not contain control characters')
  .refine((name) => !name.includes('/'), 'must not contain "/" (it separates a connector from a group name)');

export const createGroupSchema = z.strictObject({
  name: groupNameSchema,
  description: text(1024).nullish(),
  externalId: z.string().max(256).nullish(),
});
export type CreateGroupInput = z.input<typeof createGroupSchema>;

export const updateGroupSchema = z.strictObject({
  name: groupNameSchema.optional(),
  description: text(1024).nullish(),
  externalId: z.string().max(256).nullish(),
});
export type UpdateGroupInput = z.input<typeof updateGroupSchema>;

/** A source: where an object's truth lives. */
export const sourceSchema = z.string().regex(/^(builtin|scim|ldap:[A-Za-z0-9_-]{1,64})$/);
