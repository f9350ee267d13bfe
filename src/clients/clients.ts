import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type AuditContext, audit, SYSTEM } from '../audit/audit.ts';
import { parseInput } from '../directory/validate.ts';
import { GatehouseError, isGatehouseError } from '../errors.ts';
import { type Db, notify, type Queryable } from '../store/db.ts';
import { isUniqueViolation } from '../store/errors.ts';
import { grantEnded } from './grants.ts';
import {
  type ClientSettings,
  type CreateClientInput,
  clientProblems,
  createClientSchema,
  type UpdateClientInput,
  updateClientSchema,
} from './schemas.ts';

/**
 * OAuth clients: who may ask the OpenID provider for tokens, with which redirect URIs, grants and
 * scopes. A confidential client's secret is generated here (or supplied by `gatehouse apply`),
 * shown once, and kept only as its SHA-256: secrets carry 256 random bits, so a fast hash is as
 * good as a slow one, and the comparison is constant-time.
 */
export const CLIENTS_CHANNEL = 'gatehouse_clients';
export const SECRET_PREFIX = 'ghcs_';
/** Supplied secrets (apply) must be at least this long: the hash is only as strong as the secret. */
export const MIN_SECRET_LENGTH = 32;

export interface Client extends ClientSettings {
  clientId: string;
  public: boolean;
  /** Self-registered clients (AWS SSO-OIDC) expire; administrators' clients do not (null). */
  expiresAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** What the OpenID provider needs besides the settings: the secret's hash. */
export interface ClientRecord extends Client {
  secretHash: string | null;
}

interface ClientRow {
  id: string;
  name: string;
  secret_hash: string | null;
  application_type: 'web' | 'native';
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: ClientSettings['grantTypes'];
  scopes: ClientSettings['scopes'];
  first_party: boolean;
  backchannel_logout_uri: string | null;
  id_token_alg: ClientSettings['idTokenAlg'];
  token_endpoint_auth_method: ClientSettings['tokenEndpointAuthMethod'];
  access_token_ttl: number | null;
  refresh_token_ttl: number | null;
  expires_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, name, secret_hash, application_type, redirect_uris, post_logout_redirect_uris, grant_types, scopes, first_party, backchannel_logout_uri, id_token_alg, token_endpoint_auth_method, access_token_ttl, refresh_token_ttl, expires_at, version, created_at, updated_at';

const toRecord = (row: ClientRow): ClientRecord => ({
  clientId: row.id,
  name: row.name,
  public: row.secret_hash === null,
  secretHash: row.secret_hash,
  applicationType: row.application_type,
  redirectUris: row.redirect_uris,
  postLogoutRedirectUris: row.post_logout_redirect_uris,
  grantTypes: row.grant_types,
  scopes: row.scopes,
  firstParty: row.first_party,
  backchannelLogoutUri: row.backchannel_logout_uri,
  idTokenAlg: row.id_token_alg,
  tokenEndpointAuthMethod: row.token_endpoint_auth_method,
  accessTokenTtl: row.access_token_ttl,
  refreshTokenTtl: row.refresh_token_ttl,
  expiresAt: row.expires_at,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toClient = (row: ClientRow): Client => {
  const { secretHash: _, ...client } = toRecord(row);
  return client;
};

export const clientTarget = (id: string) => `client:${id}`;

/** An expired client is refused as if it did not exist, until the sweep deletes it. */
export const clientExpired = (client: { expiresAt: Date | null }, now = Date.now()): boolean =>
  client.expiresAt !== null && client.expiresAt.getTime() <= now;
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
export const generateSecret = (): string => SECRET_PREFIX + randomBytes(32).toString('base64url');

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secretHash: string | null, presented: string): boolean {
  if (!secretHash || typeof presented !== 'string' || presented.length === 0 || presented.length > 512)
    return false;
  const a = Buffer.from(hashSecret(presented), 'hex');
  const b = Buffer.from(secretHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

function notFound(id: string): GatehouseError {
  return new GatehouseError('not_found', 'clients.not_found', `no client ${id}`);
}

function checkWhole(settings: ClientSettings, isPublic: boolean): void {
  const problems = clientProblems(settings, isPublic);
  if (problems.length)
    throw new GatehouseError(
      'invalid',
      'clients.invalid',
      problems.map((p) => `${p.path}: ${p.message}`).join('; '),
      { problems },
    );
}

function checkSuppliedSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH || secret.length > 512 || /\s/.test(secret))
    throw new GatehouseError(
      'invalid',
      'clients.weak_secret',
      `a client secret must be ${MIN_SECRET_LENGTH} to 512 characters without spaces (e.g. \`openssl rand -base64 32\`)`,
    );
}

export async function findClient(q: Queryable, id: string): Promise<ClientRecord | undefined> {
  if (typeof id !== 'string' || id.length > 128) return undefined;
  const { rows } = await q.query<ClientRow>(`select ${COLUMNS} from oauth_clients where id = $1`, [id]);
  return rows[0] && toRecord(rows[0]);
}

export async function getClient(q: Queryable, id: string): Promise<Client> {
  const record = await findClient(q, id);
  if (!record) throw notFound(id);
  const { secretHash: _, ...client } = record;
  return client;
}

export async function listClients(q: Queryable): Promise<Client[]> {
  const { rows } = await q.query<ClientRow>(`select ${COLUMNS} from oauth_clients order by id`);
  return rows.map(toClient);
}

export interface CreatedClient extends Client {
  /** The secret, this once (confidential clients); never stored, never shown again. */
  clientSecret: string | null;
}

/**
 * Registers a client. A confidential client gets a generated secret unless one is supplied
 * (`gatehouse apply` reads it from a file); the response carries it once. `expiresAt` is for
 * clients that register themselves: they go away on their own.
 */
export async function createClient(
  tx: Queryable,
  context: AuditContext,
  input: CreateClientInput,
  options: { secret?: string; expiresAt?: Date } = {},
): Promise<CreatedClient> {
  const data = parseInput(createClientSchema, input, 'clients.invalid');
  const { clientId: chosen, public: isPublic, ...settings } = data;
  checkWhole(settings, isPublic);
  if (options.secret !== undefined) {
    if (isPublic) throw new GatehouseError('invalid', 'clients.invalid', 'a public client has no secret');
    checkSuppliedSecret(options.secret);
  }
  const clientId = chosen ?? `gh-${randomBytes(12).toString('base64url').replace(/[_-]/g, 'x')}`;
  const secret = isPublic ? null : (options.secret ?? generateSecret());
  let rows: ClientRow[];
  try {
    ({ rows } = await tx.query<ClientRow>(
      `insert into oauth_clients (id, name, secret_hash, application_type, redirect_uris, post_logout_redirect_uris,
         grant_types, scopes, first_party, backchannel_logout_uri, id_token_alg, token_endpoint_auth_method,
         access_token_ttl, refresh_token_ttl, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) returning ${COLUMNS}`,
      [
        clientId,
        settings.name,
        secret && hashSecret(secret),
        settings.applicationType,
        settings.redirectUris,
        settings.postLogoutRedirectUris,
        settings.grantTypes,
        settings.scopes,
        settings.firstParty,
        settings.backchannelLogoutUri,
        settings.idTokenAlg,
        settings.tokenEndpointAuthMethod,
        settings.accessTokenTtl,
        settings.refreshTokenTtl,
        options.expiresAt ?? null,
      ],
    ));
  } catch (error) {
    if (isUniqueViolation(error))
      throw new GatehouseError('conflict', 'clients.exists', `a client ${clientId} exists already`);
    throw error;
  }
  const client = toClient(rows[0]!);
  await notify(tx, CLIENTS_CHANNEL, clientId);
  await audit(tx, context, {
    action: 'client.create',
    target: clientTarget(clientId),
    details: { name: client.name, public: isPublic, grantTypes: client.grantTypes, scopes: client.scopes },
  });
  return { ...client, clientSecret: secret };
}

/** Changes a client's settings (fields left out stay as they are). */
export async function updateClient(
  tx: Queryable,
  context: AuditContext,
  id: string,
  input: UpdateClientInput,
  options: { ifVersion?: number } = {},
): Promise<Client> {
  const patch = parseInput(updateClientSchema, input, 'clients.invalid');
  const { rows } = await tx.query<ClientRow>(
    `select ${COLUMNS} from oauth_clients where id = $1 for update`,
    [id],
  );
  if (!rows[0]) throw notFound(id);
  const current = toRecord(rows[0]);
  if (options.ifVersion !== undefined && options.ifVersion !== current.version)
    throw new GatehouseError(
      'precondition_failed',
      'clients.version_mismatch',
      `client ${id} is at version ${current.version}, not ${options.ifVersion}`,
    );
  const changed = Object.keys(patch).filter(
    (key) =>
      JSON.stringify(patch[key as keyof typeof patch]) !==
      JSON.stringify(current[key as keyof ClientSettings]),
  );
  if (changed.length === 0) return getClient(tx, id);
  const next: ClientSettings = { ...current, ...patch } as ClientSettings;
  checkWhole(next, current.public);
  const updated = await tx.query<ClientRow>(
    `update oauth_clients set name = $2, application_type = $3, redirect_uris = $4, post_logout_redirect_uris = $5,
       grant_types = $6, scopes = $7, first_party = $8, backchannel_logout_uri = $9, id_token_alg = $10,
       token_endpoint_auth_method = $11, access_token_ttl = $12, refresh_token_ttl = $13, version = version + 1, updated_at = now()
     where id = $1 returning ${COLUMNS}`,
    [
      id,
      next.name,
      next.applicationType,
      next.redirectUris,
      next.postLogoutRedirectUris,
      next.grantTypes,
      next.scopes,
      next.firstParty,
      next.backchannelLogoutUri,
      next.idTokenAlg,
      next.tokenEndpointAuthMethod,
      next.accessTokenTtl,
      next.refreshTokenTtl,
    ],
  );
  await notify(tx, CLIENTS_CHANNEL, id);
  await audit(tx, context, {
    action: 'client.update',
    target: clientTarget(id),
    details: { fields: changed },
  });
  return toClient(updated.rows[0]!);
}

/**
 * Gives a confidential client a new secret (generated, or supplied by apply) and returns it once.
 * The old secret stops working at once; tokens issued so far stay valid until they expire.
 */
export async function rotateClientSecret(
  tx: Queryable,
  context: AuditContext,
  id: string,
  options: { secret?: string } = {},
): Promise<{ clientId: string; clientSecret: string }> {
  const current = await findClient(tx, id);
  if (!current) throw notFound(id);
  if (current.public)
    throw new GatehouseError('conflict', 'clients.public', `client ${id} is public: it has no secret`);
  if (options.secret !== undefined) checkSuppliedSecret(options.secret);
  const secret = options.secret ?? generateSecret();
  await tx.query(
    'update oauth_clients set secret_hash = $2, version = version + 1, updated_at = now() where id = $1',
    [id, hashSecret(secret)],
  );
  await notify(tx, CLIENTS_CHANNEL, id);
  await audit(tx, context, { action: 'client.rotate_secret', target: clientTarget(id) });
  return { clientId: id, clientSecret: secret };
}

/**
 * Removes a client and everything the provider issued to it (grants, tokens, codes). Each of its
 * grants ends as a grant revoked by the provider does, so what was obtained with one (AWS
 * credentials, admin API JWTs, which carry the grant id) dies on every node too.
 */
export async function deleteClient(tx: Queryable, context: AuditContext, id: string): Promise<void> {
  const { rowCount } = await tx.query('delete from oauth_clients where id = $1', [id]);
  if (rowCount === 0) throw notFound(id);
  const removed = await tx.query<{ grant_id: string | null; account_id: string | null }>(
    `delete from oidc_store where payload->>'clientId' = $1
     returning case when model = 'Grant' then id else grant_id end as grant_id, account_id`,
    [id],
  );
  const grants = new Map<string, string | undefined>();
  for (const row of removed.rows)
    if (row.grant_id && !grants.get(row.grant_id)) grants.set(row.grant_id, row.account_id ?? undefined);
  for (const [grantId, userId] of grants) await grantEnded(tx, grantId, userId, 'client_deleted');
  await notify(tx, CLIENTS_CHANNEL, id);
  await audit(tx, context, {
    action: 'client.delete',
    target: clientTarget(id),
    details: { artefactsRemoved: removed.rowCount },
  });
}

/**
 * Deletes expired clients (and, through deleteClient, what was issued to them), a batch at a time;
 * nodes sweeping at the same moment skip what another deleted. Returns how many were deleted.
 */
export async function deleteExpiredClients(db: Db, batch = 500): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    'select id from oauth_clients where expires_at <= now() order by expires_at limit $1',
    [batch],
  );
  let deleted = 0;
  for (const { id } of rows) {
    try {
      await db.transaction((tx) => deleteClient(tx, SYSTEM, id));
      deleted++;
    } catch (error) {
      if (!(isGatehouseError(error) && error.kind === 'not_found')) throw error;
    }
  }
  return deleted;
}
