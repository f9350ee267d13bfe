import Provider, { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import type { ClientRecord } from '../../src/clients/clients.ts';
import type { Queryable } from '../../src/store/db.ts';
import { clientMetadata } from './client-metadata.ts';

/** Looks a client up (cached; see client-cache.ts). */
export type ClientLookup = (id: string) => Promise<ClientRecord | undefined>;

interface Row {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

/** Models whose rows carry the grant the provider reads next (code, refresh, device, access token). */
const GRANT_HOLDERS = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'AccessToken']);

/** The provider learns that a code or refresh token was used from `consumed`. */
const payloadOf = (payload: AdapterPayload, consumedAt: Date | null): AdapterPayload =>
  consumedAt ? { ...payload, consumed: Math.floor(consumedAt.getTime() / 1000) } : payload;

/**
 * oidc-provider's storage interface over one table (`oidc_store`), the same SQL on PGlite and
 * PostgreSQL. Expired rows are never returned (the clean-up timer deletes them later). Clients are
 * not stored here: the `Client` model reads the clients that the admin API and apply manage.
 */
export function adapterFactory(db: Queryable, clients: ClientLookup): new (model: string) => Adapter {
  // The token endpoint reads its client on every request; a cached record keeps its metadata.
  const metadata = new WeakMap<ClientRecord, AdapterPayload>();
  const metadataOf = (client: ClientRecord): AdapterPayload => {
    let found = metadata.get(client);
    if (!found) {
      found = clientMetadata(client);
      metadata.set(client, found);
    }
    return found;
  };
  // A token's grant, read in the same statement as the token: the provider asks for it right after
  // (validateGrant). Kept per request (the provider's context) and used once, so it is never older
  // than the token read; a write or deletion of the grant in between drops it.
  const prefetched = new WeakMap<object, Map<string, AdapterPayload | undefined>>();
  const forget = (grantId: string) => {
    const ctx = Provider.ctx;
    if (ctx) prefetched.get(ctx)?.delete(grantId);
  };

  return class PostgresAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') throw new Error('clients are managed by the admin API, not the provider');
      if (this.model === 'Grant') forget(id);
      await db.query(
        `insert into oidc_store (model, id, payload, grant_id, uid, user_code, account_id, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, case when $8::int > 0 then now() + make_interval(secs => $8::int) end)
         on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
           uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id,
           expires_at = excluded.expires_at`,
        [
          this.model,
          id,
          payload,
          payload.grantId ?? null,
          payload.uid ?? null,
          payload.userCode ?? null,
          payload.accountId ?? null,
          Math.ceil(expiresIn ?? 0),
        ],
      );
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const client = await clients(id);
        return client && metadataOf(client);
      }
      if (this.model === 'Grant') {
        const ctx = Provider.ctx;
        const early = ctx && prefetched.get(ctx);
        if (early?.has(id)) {
          const grant = early.get(id);
          early.delete(id);
          return grant;
        }
      }
      if (GRANT_HOLDERS.has(this.model)) return this.withGrant(id);
      return this.one('id = $2', id);
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.one('uid = $2', uid);
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.one('user_code = $2', userCode);
    }

    async consume(id: string): Promise<void> {
      // Only one request may use a code or refresh token: of two presenting it at the same time
      // (both read it unused), the second finds it consumed here and is refused.
      const { rowCount } = await db.query(
        'update oidc_store set consumed_at = now() where model = $1 and id = $2 and consumed_at is null',
        [this.model, id],
      );
      if (rowCount === 0) throw new errors.InvalidGrant(`${this.model} already used`);
    }

    async destroy(id: string): Promise<void> {
      if (this.model === 'Grant') forget(id);
      await db.query('delete from oidc_store where model = $1 and id = $2', [this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      forget(grantId);
      await db.query('delete from oidc_store where grant_id = $1', [grantId]);
    }

    /** The token, and its grant for the provider's next read (one statement instead of two). */
    private async withGrant(id: string): Promise<AdapterPayload | undefined> {
      if (typeof id !== 'string' || id.length > 512) return undefined;
      const { rows } = await db.query<Row & { grant_payload: AdapterPayload | null }>(
        `select t.payload, t.consumed_at, g.payload as grant_payload
         from oidc_store t
         left join oidc_store g on g.model = 'Grant' and g.id = t.grant_id
           and (g.expires_at is null or g.expires_at > now())
         where t.model = $1 and t.id = $2 and (t.expires_at is null or t.expires_at > now())`,
        [this.model, id],
      );
      const row = rows[0];
      if (!row) return undefined;
      const ctx = Provider.ctx;
      const grantId = row.payload['grantId'];
      if (ctx && typeof grantId === 'string') {
        let early = prefetched.get(ctx);
        if (!early) {
          early = new Map();
          prefetched.set(ctx, early);
        }
        early.set(grantId, row.grant_payload ?? undefined);
      }
      return payloadOf(row.payload, row.consumed_at);
    }

    private async one(where: string, value: string): Promise<AdapterPayload | undefined> {
      if (typeof value !== 'string' || value.length > 512) return undefined;
      const { rows } = await db.query<Row>(
        `select payload, consumed_at from oidc_store
         where model = $1 and ${where} and (expires_at is null or expires_at > now())`,
        [this.model, value],
      );
      const row = rows[0];
      return row && payloadOf(row.payload, row.consumed_at);
    }
  };
}
