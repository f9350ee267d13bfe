/**
 * Every setting that can come from the environment, with its key in gatehouse.yaml. The README's
 * configuration table is this list; the schema (schema.ts) holds types and defaults.
 * Secrets can also be read from a file: `<ENV>_FILE` in the environment, `<key>File` in the YAML.
 */
export type SettingType = 'string' | 'int' | 'bool' | 'duration';

export interface Setting {
  path: string;
  env: string;
  type: SettingType;
  secret?: boolean;
  doc: string;
}

export const settings: readonly Setting[] = [
  {
    path: 'url',
    env: 'GATEHOUSE_URL',
    type: 'string',
    doc: 'public base URL (default http://localhost:PORT)',
  },
  { path: 'host', env: 'GATEHOUSE_HOST', type: 'string', doc: 'listen address (default 0.0.0.0)' },
  { path: 'port', env: 'PORT', type: 'int', doc: 'listen port (default 8080)' },
  {
    path: 'dataDir',
    env: 'GATEHOUSE_DATA_DIR',
    type: 'string',
    doc: 'PGlite data and generated master key (default ./.gatehouse)',
  },
  {
    path: 'database.url',
    env: 'DATABASE_URL',
    type: 'string',
    secret: true,
    doc: 'postgres://… switches to PostgreSQL (default: embedded PGlite)',
  },
  {
    path: 'database.poolSize',
    env: 'GATEHOUSE_DATABASE_POOL_SIZE',
    type: 'int',
    doc: 'PostgreSQL pool size (default 10)',
  },
  {
    path: 'database.connectTimeout',
    env: 'GATEHOUSE_DATABASE_CONNECT_TIMEOUT',
    type: 'duration',
    doc: 'PostgreSQL connect timeout (default 5s)',
  },
  {
    path: 'database.statementTimeout',
    env: 'GATEHOUSE_DATABASE_STATEMENT_TIMEOUT',
    type: 'duration',
    doc: 'PostgreSQL statement timeout (default 30s)',
  },
  {
    path: 'masterKey',
    env: 'GATEHOUSE_MASTER_KEY',
    type: 'string',
    secret: true,
    doc: '32-byte key (base64 or hex) that encrypts keys at rest (default: generated into DATA_DIR/master.key)',
  },
  {
    path: 'log.level',
    env: 'GATEHOUSE_LOG_LEVEL',
    type: 'string',
    doc: 'fatal | error | warn | info | debug | trace | silent (default info)',
  },
  {
    path: 'http.bodyLimit',
    env: 'GATEHOUSE_HTTP_BODY_LIMIT',
    type: 'int',
    doc: 'largest request body in bytes (default 1048576)',
  },
  {
    path: 'http.shutdownTimeout',
    env: 'GATEHOUSE_HTTP_SHUTDOWN_TIMEOUT',
    type: 'duration',
    doc: 'time given to in-flight requests on SIGTERM (default 10s)',
  },
  {
    path: 'http.trustProxy',
    env: 'GATEHOUSE_HTTP_TRUST_PROXY',
    type: 'bool',
    doc: 'trust X-Forwarded-For/-Proto from a load balancer (default false)',
  },
  {
    path: 'migrations.auto',
    env: 'GATEHOUSE_MIGRATIONS_AUTO',
    type: 'bool',
    doc: 'serve applies pending migrations at start (default true)',
  },
  {
    path: 'keys.rotationOverlap',
    env: 'GATEHOUSE_KEYS_ROTATION_OVERLAP',
    type: 'duration',
    doc: 'how long a rotated-out key still verifies (default 7d)',
  },
  {
    path: 'keys.refreshInterval',
    env: 'GATEHOUSE_KEYS_REFRESH_INTERVAL',
    type: 'duration',
    doc: 'how often a node re-reads the key ring (default 60s)',
  },
  {
    path: 'revocation.reconcileInterval',
    env: 'GATEHOUSE_REVOCATION_RECONCILE_INTERVAL',
    type: 'duration',
    doc: 'how often a node re-reads revocations from the tables, besides NOTIFY (default 5s)',
  },
  {
    path: 'revocation.staleAfter',
    env: 'GATEHOUSE_REVOCATION_STALE_AFTER',
    type: 'duration',
    doc: 'a node that could not reconcile for this long refuses credentials and is not ready (default 30s)',
  },
  {
    path: 'revocation.window',
    env: 'GATEHOUSE_REVOCATION_WINDOW',
    type: 'duration',
    doc: 'how far back revocations are kept in memory: at least the longest credential lifetime (default 13h)',
  },
  {
    path: 'sessions.idle',
    env: 'GATEHOUSE_SESSIONS_IDLE',
    type: 'duration',
    doc: 'portal session idle limit (default 1h)',
  },
  {
    path: 'sessions.absolute',
    env: 'GATEHOUSE_SESSIONS_ABSOLUTE',
    type: 'duration',
    doc: 'portal session absolute limit (default 8h)',
  },
  {
    path: 'mfa.policy',
    env: 'GATEHOUSE_MFA_POLICY',
    type: 'string',
    doc: 'required | optional (administrators: always required)',
  },
  {
    path: 'saml.clockSkew',
    env: 'GATEHOUSE_SAML_CLOCK_SKEW',
    type: 'duration',
    doc: 'how far a SAML request IssueInstant may be from our clock (default 3m)',
  },
  {
    path: 'administrators.group',
    env: 'GATEHOUSE_ADMINISTRATORS_GROUP',
    type: 'string',
    doc: 'group whose effective members are administrators, NAME or CONNECTOR/NAME (default gatehouse-admins)',
  },
  {
    path: 'passwordPolicy.minLength',
    env: 'GATEHOUSE_PASSWORD_POLICY_MIN_LENGTH',
    type: 'int',
    doc: 'minimum password length (default 12)',
  },
  {
    path: 'passwordPolicy.maxAge',
    env: 'GATEHOUSE_PASSWORD_POLICY_MAX_AGE',
    type: 'duration',
    doc: 'password maximum age, or off (default 90d)',
  },
  {
    path: 'passwordPolicy.history',
    env: 'GATEHOUSE_PASSWORD_POLICY_HISTORY',
    type: 'int',
    doc: 'previous passwords that cannot be reused (default 5)',
  },
  {
    path: 'passwordPolicy.requireClasses',
    env: 'GATEHOUSE_PASSWORD_POLICY_REQUIRE_CLASSES',
    type: 'int',
    doc: 'character classes required of 4 (default 3)',
  },
  {
    path: 'oidc.accessTokenTtl',
    env: 'GATEHOUSE_OIDC_ACCESS_TOKEN_TTL',
    type: 'duration',
    doc: 'OAuth access token lifetime, unless the client sets one (default 10m)',
  },
  {
    path: 'oidc.idTokenTtl',
    env: 'GATEHOUSE_OIDC_ID_TOKEN_TTL',
    type: 'duration',
    doc: 'ID token lifetime (default 1h)',
  },
  {
    path: 'oidc.refreshTokenTtl',
    env: 'GATEHOUSE_OIDC_REFRESH_TOKEN_TTL',
    type: 'duration',
    doc: 'refresh token lifetime, unless the client sets one (default 14d)',
  },
  {
    path: 'oidc.cleanupInterval',
    env: 'GATEHOUSE_OIDC_CLEANUP_INTERVAL',
    type: 'duration',
    doc: 'how often expired OIDC codes, tokens and sessions are deleted (default 10m)',
  },
  {
    path: 'scim.rateLimit',
    env: 'GATEHOUSE_SCIM_RATE_LIMIT',
    type: 'int',
    doc: 'SCIM requests per second per token, on average (default 50)',
  },
  {
    path: 'scim.rateBurst',
    env: 'GATEHOUSE_SCIM_RATE_BURST',
    type: 'int',
    doc: 'SCIM requests a token may make in a burst (default 200)',
  },
  {
    path: 'aws.registrationsPerMinute',
    env: 'GATEHOUSE_AWS_REGISTRATIONS_PER_MINUTE',
    type: 'int',
    doc: 'AWS SSO-OIDC client registrations per minute per client address, in bursts of 3 times that (default 10)',
  },
];
