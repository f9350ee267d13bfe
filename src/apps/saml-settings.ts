import { z } from 'zod';

/**
 * How Gatehouse signs a person in to one SAML service provider. Wire formats (metadata XML) are
 * translated into this shape by providers/saml; the domain stores and validates it.
 */

const httpsOrHttpUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'expected an http(s) URL');

export const samlBindingSchema = z.enum(['post', 'redirect']);
export type SamlBinding = z.output<typeof samlBindingSchema>;

export const nameIdFormatSchema = z.enum(['emailAddress', 'persistent', 'transient', 'unspecified']);
export type NameIdFormat = z.output<typeof nameIdFormatSchema>;

/** A certificate as PEM or bare base64 DER; kept as bare base64 (what metadata and KeyInfo carry). */
export const certificateSchema = z
  .string()
  .max(16_384)
  .transform((value, ctx) => {
    const body = value.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length < 100) {
      ctx.addIssue({ code: 'custom', message: 'expected an X.509 certificate (PEM or base64 DER)' });
      return z.NEVER;
    }
    return body;
  });

/** Where an attribute's values come from: a user field, the user's groups, or fixed values. */
export const attributeSourceSchema = z.union([
  z.enum(['id', 'userName', 'email', 'emails', 'displayName', 'givenName', 'familyName', 'groups']),
  z
    .string()
    .regex(/^attributes\.[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, 'attributes.NAME: one of the user attributes'),
  z.strictObject({ value: z.union([z.string().max(1024), z.array(z.string().max(1024)).max(100)]) }),
]);
export type AttributeSource = z.output<typeof attributeSourceSchema>;

export const samlTemplateSchema = z.enum(['generic', 'aws', 'salesforce', 'slack', 'google']);
export type SamlTemplate = z.output<typeof samlTemplateSchema>;

export const samlSettingsSchema = z
  .strictObject({
    entityId: z.string().trim().min(1).max(1024),
    /** Assertion consumer services; responses are always delivered with HTTP-POST. */
    acs: z
      .array(
        z.strictObject({
          url: httpsOrHttpUrl,
          binding: z.literal('post').default('post'),
          index: z.number().int().min(0).max(65_535).optional(),
          isDefault: z.boolean().optional(),
        }),
      )
      .min(1)
      .max(20),
    slo: z.strictObject({ url: httpsOrHttpUrl, binding: samlBindingSchema.default('redirect') }).optional(),
    /**
     * The SP's SOAP single logout service (SAML bindings §3.2): told server to server when the
     * user is revoked, with no browser (front-channel `slo` needs one).
     */
    backchannelLogoutUrl: httpsOrHttpUrl.optional(),
    /** The template's format when unset (emailAddress for the generic one). */
    nameIdFormat: nameIdFormatSchema.optional(),
    /** For `unspecified`: which user field becomes the NameID. */
    nameIdSource: z.enum(['userName', 'email', 'id']).default('userName'),
    signResponse: z.boolean().default(true),
    signAssertion: z.boolean().default(true),
    signatureAlgorithm: z.enum(['rsa-sha256', 'rsa-sha512', 'rsa-sha1']).default('rsa-sha256'),
    /** SHA-1 signatures (ours or the SP's) are refused unless this is set for the SP. */
    allowSha1: z.boolean().default(false),
    encryptAssertion: z.boolean().default(false),
    /** Certificates the SP signs AuthnRequests and LogoutRequests with. */
    signingCertificates: z.array(certificateSchema).max(4).default([]),
    encryptionCertificate: certificateSchema.optional(),
    requireSignedRequests: z.boolean().default(false),
    /** SAML attribute name → source. */
    attributes: z.record(z.string().min(1).max(1024), attributeSourceSchema).default({}),
    /** SessionNotOnOrAfter, from the sign-in; the portal session's absolute limit when unset. */
    sessionDuration: z
      .number()
      .int()
      .min(60_000)
      .max(7 * 86_400_000)
      .optional(),
    template: samlTemplateSchema.default('generic'),
    /** AWS account federation: the IAM SAML provider name and the session duration AWS grants. */
    aws: z
      .strictObject({
        samlProvider: z
          .string()
          .regex(/^[\w.-]{1,128}$/)
          .default('Gatehouse'),
        roleSessionName: z.enum(['userName', 'email']).default('userName'),
        sessionDuration: z.number().int().min(900).max(43_200).default(3600),
      })
      .optional(),
    /** RelayState for IdP-initiated sign-in (the SP's landing page). */
    defaultRelayState: z.string().max(1024).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.signatureAlgorithm === 'rsa-sha1' && !value.allowSha1)
      ctx.addIssue({
        code: 'custom',
        path: ['signatureAlgorithm'],
        message: 'SHA-1 needs allowSha1: true for this SP',
      });
    if (value.encryptAssertion && !value.encryptionCertificate)
      ctx.addIssue({
        code: 'custom',
        path: ['encryptionCertificate'],
        message: 'encrypting assertions needs the SP encryption certificate',
      });
    if (value.requireSignedRequests && value.signingCertificates.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['signingCertificates'],
        message: 'requiring signed requests needs the SP signing certificate',
      });
    if (!value.signResponse && !value.signAssertion)
      ctx.addIssue({
        code: 'custom',
        path: ['signAssertion'],
        message: 'sign the response, the assertion, or both',
      });
    if (value.template !== 'aws' && value.aws)
      ctx.addIssue({ code: 'custom', path: ['aws'], message: 'only with template: aws' });
  });

export type SamlSettingsInput = z.input<typeof samlSettingsSchema>;
export type SamlSettings = z.output<typeof samlSettingsSchema>;

export const NAME_ID_FORMAT_URNS: Record<NameIdFormat, string> = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
};
