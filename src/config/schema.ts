import { z } from 'zod';
import { connectorConfigSchema } from '../../connectors/registry.ts';
import { parseDuration } from '../duration.ts';
import { Secret } from '../secret.ts';

/** A duration (`30s`, `15m`, `8h`, `7d`, or seconds) parsed into milliseconds. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration like 30s, 15m, 8h or 7d, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return ms;
});
/** A duration, or `off` (0) where a limit can be switched off. */
const durationOrOff = z
  .union([z.literal('off'), z.literal(false)])
  .transform(() => 0)
  .or(duration);
const secret = z
  .string()
  .min(1)
  .transform((value) => new Secret(value));
const port = z.number().int().min(0).max(65_535);

/** Directory connectors, each validated by its own kind's schema (YAML only: they hold lists). */
const connectors = z
  .array(connectorConfigSchema())
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      // The id becomes the source of synced users and groups: `ldap:<id>`.
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(c.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: 'letters, digits, _ and - (1 to 64)' });
      if (seen.has(c.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate connector id "${c.id}"` });
      seen.add(c.id);
    });
  });

const database = z.strictObject({
  url: secret.optional(),
  poolSize: z.number().int().min(1).max(1000).default(10),
  connectTimeout: duration.default(5_000),
  statementTimeout: duration.default(30_000),
});

export const configSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).optional(),
    host: z.string().min(1).default('0.0.0.0'),
    port: port.default(8080),
    dataDir: z.string().min(1).default('./.gatehouse'),
    database: database.default(database.parse({})),
    masterKey: secret.optional(),
    log: z
      .strictObject({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .default({ level: 'info' }),
    http: z
      .strictObject({
        bodyLimit: z.number().int().min(1024).default(1_048_576),
        shutdownTimeout: duration.default(10_000),
        trustProxy: z.boolean().default(false),
      })
      .default({ bodyLimit: 1_048_576, shutdownTimeout: 10_000, trustProxy: false }),
    migrations: z.strictObject({ auto: z.boolean().default(true) }).default({ auto: true }),
    keys: z
      .strictObject({
        rotationOverlap: duration.default(7 * 86_400_000),
        refreshInterval: duration.default(60_000),
      })
      .default({ rotationOverlap: 7 * 86_400_000, refreshInterval: 60_000 }),
    revocation: z
      .strictObject({
        reconcileInterval: duration.default(5_000),
        staleAfter: duration.default(30_000),
        window: duration.default(13 * 3_600_000),
      })
      .default({ reconcileInterval: 5_000, staleAfter: 30_000, window: 13 * 3_600_000 }),
    sessions: z
      .strictObject({ idle: duration.default(3_600_000), absolute: duration.default(8 * 3_600_000) })
      .default({ idle: 3_600_000, absolute: 8 * 3_600_000 }),
    mfa: z
      .strictObject({ policy: z.enum(['required', 'optional']).default('required') })
      .default({ policy: 'required' }),
    // Administrators: root and the effective members of this group (`NAME` built-in, `CONNECTOR/NAME` synced).
    administrators: z
      .strictObject({ group: z.string().min(1).max(256).default('gatehouse-admins') })
      .default({ group: 'gatehouse-admins' }),
    passwordPolicy: z
      .strictObject({
        minLength: z.number().int().min(8).max(256).default(12),
        maxAge: durationOrOff.default(90 * 86_400_000),
        history: z.number().int().min(0).max(50).default(5),
        requireClasses: z.number().int().min(0).max(4).default(3),
      })
      .default({ minLength: 12, maxAge: 90 * 86_400_000, history: 5, requireClasses: 3 }),
    oidc: z
      .strictObject({
        accessTokenTtl: duration.default(600_000),
        idTokenTtl: duration.default(3_600_000),
        refreshTokenTtl: duration.default(14 * 86_400_000),
        cleanupInterval: duration.default(600_000),
      })
      .default({
        accessTokenTtl: 600_000,
        idTokenTtl: 3_600_000,
        refreshTokenTtl: 14 * 86_400_000,
        cleanupInterval: 600_000,
      }),
    saml: z.strictObject({ clockSkew: duration.default(180_000) }).default({ clockSkew: 180_000 }),
    scim: z
      .strictObject({
        rateLimit: z.number().int().min(1).max(100_000).default(50),
        rateBurst: z.number().int().min(1).max(100_000).default(200),
      })
      .default({ rateLimit: 50, rateBurst: 200 }),
    aws: z
      .strictObject({
        /** RegisterClient is unauthenticated (as at AWS): per client address, per node. */
        registrationsPerMinute: z.number().int().min(1).max(100_000).default(10),
      })
      .default({ registrationsPerMinute: 10 }),
    connectors,
  })
  .transform((config) => ({
    ...config,
    // The public base URL, without a trailing slash; defaults to this machine's port.
    url: (config.url ?? `http://localhost:${config.port}`).replace(/\/+$/, ''),
  }));

export type Config = z.output<typeof configSchema>;
