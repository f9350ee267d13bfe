import { z } from 'zod';
import { samlSettingsSchema } from './saml-settings.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const text = (max: number) =>
  z.string().trim().min(1).max(max).regex(NO_CONTROL, 'must not contain control characters');

export const applicationTypeSchema = z.enum(['saml', 'oidc']);

const logoUrl = z
  .string()
  .trim()
  .max(2048)
  .regex(
    /^(https:\/\/|\/|data:image\/(png|svg\+xml|jpeg);base64,)/,
    'an https URL, a path, or a data: image',
  );

export const clientIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

const fields = {
  name: text(128),
  label: text(128).nullish().describe('what the portal shows; the name when absent'),
  logoUrl: logoUrl.nullish(),
  oidcClientId: clientIdSchema.optional().describe('OIDC applications: the OAuth client id'),
  saml: samlSettingsSchema.optional().describe('SAML applications: the service provider'),
};

const consistent = (
  value: { type?: 'saml' | 'oidc' | undefined; saml?: unknown; oidcClientId?: unknown },
  ctx: z.RefinementCtx,
) => {
  if (value.type === 'saml' && value.saml === undefined)
    ctx.addIssue({ code: 'custom', path: ['saml'], message: 'a SAML application needs saml settings' });
  if (value.type === 'saml' && value.oidcClientId !== undefined)
    ctx.addIssue({ code: 'custom', path: ['oidcClientId'], message: 'only for OIDC applications' });
  if (value.type === 'oidc' && value.oidcClientId === undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['oidcClientId'],
      message: 'an OIDC application needs a client id',
    });
  if (value.type === 'oidc' && value.saml !== undefined)
    ctx.addIssue({ code: 'custom', path: ['saml'], message: 'only for SAML applications' });
};

export const createApplicationSchema = z
  .strictObject({ ...fields, type: applicationTypeSchema })
  .superRefine(consistent);
export type CreateApplicationInput = z.input<typeof createApplicationSchema>;

/** A change: fields left out stay; `null` clears label and logo. The type cannot change. */
export const updateApplicationSchema = z.strictObject({
  name: fields.name.optional(),
  label: fields.label,
  logoUrl: fields.logoUrl,
  oidcClientId: fields.oidcClientId,
  saml: fields.saml,
});
export type UpdateApplicationInput = z.input<typeof updateApplicationSchema>;
