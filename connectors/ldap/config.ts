// Configuration of an LDAP / Active Directory connector (zod, strict: unknown keys are errors).
import { z } from 'zod';
import { Secret } from '../../src/secret.ts';
import { parseDuration } from './duration.ts';
import { isAttributeName } from './filter.ts';
import { filterError } from './filter-parse.ts';

const attribute = z.string().refine(isAttributeName, { message: 'not an LDAP attribute name' });
const attributes = z
  .union([attribute, z.array(attribute).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));
const filter = z.string().superRefine((text, ctx) => {
  const why = filterError(text);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});
const dn = z.string().min(1);
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 60s, 5m, 6h' });
    return z.NEVER;
  }
  return ms;
});
const ldapUrl = z.string().refine((u) => /^ldaps?:\/\/[^/?#\s]+\/?$/i.test(u), {
  message: 'expected ldap://host[:port] or ldaps://host[:port]',
});

export const ldapConfigSchema = z
  .strictObject({
    id: z.string().min(1),
    type: z.literal('ldap'),
    name: z.string().optional(),
    /** Tried in order; the first that answers is used. */
    urls: z.array(ldapUrl).min(1),
    bindDN: dn,
    /** Kept as a Secret: it never reaches a log or an error message. */
    bindPassword: z
      .string()
      .min(1)
      .transform((v) => new Secret(v))
      .optional(),
    bindPasswordFile: z.string().min(1).optional(),
    tls: z
      .strictObject({
        /** PEM bundle of the CAs that may sign the server certificate (default: Node's bundle). */
        caFile: z.string().min(1).optional(),
        /** Upgrade ldap:// URLs with StartTLS. */
        startTLS: z.boolean().default(false),
        /** Allow ldap:// without StartTLS (passwords cross the network in clear). */
        insecureNoTLS: z.boolean().default(false),
      })
      .prefault({}),
    timeouts: z
      .strictObject({ connect: duration.default(5000), operation: duration.default(15000) })
      .prefault({}),
    dialect: z.enum(['active-directory', 'openldap', 'auto']).default('auto'),
    userSearch: z.strictObject({
      baseDN: dn,
      scope: z.enum(['sub', 'one']).default('sub'),
      filter: filter.optional(),
      /** Attributes a person may sign in with, e.g. [sAMAccountName, userPrincipalName]. First is userName. */
      username: attributes.optional(),
      idAttribute: attribute.optional(),
      displayName: attribute.optional(),
      givenName: attribute.optional(),
      familyName: attribute.optional(),
      email: attributes.optional(),
      /** Extra attributes: identity attribute name → LDAP attribute. */
      attributes: z.record(z.string().min(1), attribute).default({}),
    }),
    groupSearch: z
      .strictObject({
        baseDN: dn,
        scope: z.enum(['sub', 'one']).default('sub'),
        filter: filter.optional(),
        memberAttribute: z.enum(['member', 'uniqueMember', 'memberUid']).optional(),
        nameAttribute: attribute.optional(),
        idAttribute: attribute.optional(),
        nested: z.boolean().default(true),
      })
      .optional(),
    /** Users matching this are disabled. Default: AD ACCOUNTDISABLE bit; OpenLDAP admin-locked ppolicy. */
    disabledFilter: filter.optional(),
    pageSize: z.number().int().min(1).max(1000).default(500),
    sync: z
      .strictObject({
        incremental: duration.default(10_000),
        full: duration.default(6 * 3_600_000),
        maxDeprovisionPercent: z.number().min(0).max(100).default(10),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (!c.bindPassword === !c.bindPasswordFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['bindPassword'],
        message: 'set exactly one of bindPassword, bindPasswordFile',
      });
    }
    c.urls.forEach((url, i) => {
      const plain = url.toLowerCase().startsWith('ldap://');
      if (plain && !c.tls.startTLS && !c.tls.insecureNoTLS) {
        ctx.addIssue({
          code: 'custom',
          path: ['urls', i],
          message: 'ldap:// needs tls.startTLS: true (or tls.insecureNoTLS: true to send passwords in clear)',
        });
      }
      if (!plain && c.tls.startTLS) {
        ctx.addIssue({
          code: 'custom',
          path: ['tls', 'startTLS'],
          message: 'StartTLS applies to ldap:// URLs only',
        });
      }
    });
  });

export type LdapConfigInput = z.input<typeof ldapConfigSchema>;
export type LdapConfig = z.output<typeof ldapConfigSchema>;

/** Parses and validates; errors name the key, e.g. `userSearch.baseDN: Invalid input`. */
export function parseLdapConfig(input: unknown, where = ''): LdapConfig {
  const r = ldapConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const path = [where, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
      .filter(Boolean)
      .join('.')
      .replaceAll('.[', '[');
    return `${path || '(root)'}: ${i.message}`;
  });
  throw new Error(`invalid LDAP connector configuration:\n  ${lines.join('\n  ')}`);
}
