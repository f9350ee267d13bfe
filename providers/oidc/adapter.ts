import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientRecord } from '../../src/clients/clients.ts';
import type { Queryable } from '../../src/store/db.ts';
import { clientMetadata } from './client-metadata.ts';

/** Looks a client up (cached; see client-cache.ts). */
export type ClientLookup = (id: string) => Promise<ClientRecord | undefined>;

interface Row {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

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
  return class PostgresAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') throw new Error('clients are managed by the admin API, not the provider');
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
      return this.one('id = $2', id);
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.one('uid = $2', uid);
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.one('user_code = $2', userCode);
    }

    async consume(id: string): Promise<void> {
      await db.query('update oidc_store set consumed_at = now() where model = $1 and id = $2', [
        this.model,
        id,
      ]);
    }

    async destroy(id: string): Promise<void> {
      await db.query('delete from oidc_store where model = $1 and id = $2', [this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.query('delete from oidc_store where grant_id = $1', [grantId]);
    }

    private async one(where: string, value: string): Promise<AdapterPayload | undefined> {
      if (typeof value !== 'string' || value.length > 512) return undefined;
      const { rows } = await db.query<Row>(
        `select payload, consumed_at from oidc_store
         where model = $1 and ${where} and (expires_at is null or expires_at > now())`,
        [this.model, value],
      );
      const row = rows[0];
      if (!row) return undefined;
      // The provider learns that a code or refresh token was used from `consumed`.
      return row.consumed_at
        ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) }
        : row.payload;
    }
  };
}
