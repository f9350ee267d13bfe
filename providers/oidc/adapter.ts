import Provider, { type Adapter, type AdapterPayload, errors } from 'oidc-provider';
import { type ClientRecord, clientExpired } from '../../src/clients/clients.ts';
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

/** Tokens a token response carries: written together, once the response is ready (see `flush`). */
const DEFERRED = new Set(['AccessToken', 'RefreshToken']);

/** oidc-provider's adapter class, and the bounds of a provider request (provider.ts calls them). */
export interface StoreAdapter {
  new (model: string): Adapter;
  /** From now on the token writes of this request wait for `flush`. */
  begin(ctx: object): void;
  /** Writes what the request deferred, in one statement; the response waits for it. */
  flush(ctx: object): Promise<void>;
}

const UPSERT_END = `on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
  uid = excluded.uid, user_code = excluded.user_code, account_id = excluded.account_id,
  expires_at = excluded.expires_at`;

/** What a request deferred: codes or refresh tokens it consumes, tokens it issues (by model and id). */
interface Pending {
  consumes: [string, string][];
  rows: Map<string, unknown[]>;
}

/** One row's placeholders from `$at+1`; in a VALUES list outside an INSERT the types are spelled out. */
function tuple(at: number, text: string, json: string): string {
  const p = (n: number, type = text) => `$${at + n}${type}`;
  const ttl = `$${at + 8}::int`;
  return `(${p(1)}, ${p(2)}, ${p(3, json)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${
    text ? ttl : `case when ${ttl} > 0 then now() + make_interval(secs => ${ttl}) end`
  })`;
}

const alreadyUsed = (consumes: [string, string][]) =>
  new errors.InvalidGrant(`${consumes.map(([model]) => model).join(', ')} already used`);

/** The provider learns that a code or refresh token was used from `consumed`. */
const payloadOf = (payload: AdapterPayload, consumedAt: Date | null): AdapterPayload =>
  consumedAt ? { ...payload, consumed: Math.floor(consumedAt.getTime() / 1000) } : payload;

/**
 * oidc-provider's storage interface over one table (`oidc_store`), the same SQL on PGlite and
 * PostgreSQL. Expired rows are never returned (the clean-up timer deletes them later). Clients are
 * not stored here: the `Client` model reads the clients that the admin API and apply manage.
 */
export function adapterFactory(db: Queryable, clients: ClientLookup): StoreAdapter {
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

  // A token response's writes — the code or refresh token it consumes, the access and refresh
  // tokens it issues — go to the store in one statement rather than one each. They wait, per
  // request, until the provider has built the response (flush, before it is sent: a client never
  // holds a token that is not stored) or until the request's next read or write of the store
  // (which then sees them). The statement is atomic: the new tokens are stored only if the consumed
  // one was still unused, so of two requests presenting it at once only one gets tokens.
  const queues = new WeakMap<object, Pending>();
  const writing = new WeakMap<object, Promise<void>>();
  const write = async (consumes: [string, string][], rows: unknown[][]): Promise<void> => {
    if (consumes.length === 0) {
      const values = rows.map((_, i) => tuple(i * 8, '', ''));
      await db.query(
        `insert into oidc_store (model, id, payload, grant_id, uid, user_code, account_id, expires_at)
         values ${values.join(', ')} ${UPSERT_END}`,
        rows.flat(),
      );
      return;
    }
    const used = consumes.map((_, i) => `(model = $${i * 2 + 1} and id = $${i * 2 + 2})`);
    const consumeSql = `update oidc_store set consumed_at = now() where consumed_at is null and (${used.join(' or ')})`;
    if (rows.length === 0) {
      const { rowCount } = await db.query(consumeSql, consumes.flat());
      if (rowCount !== consumes.length) throw alreadyUsed(consumes);
      return;
    }
    const offset = consumes.length * 2;
    const values = rows.map((_, i) => tuple(offset + i * 8, '::text', '::jsonb'));
    const { rowCount } = await db.query(
      `with consumed as (${consumeSql} returning 1)
       insert into oidc_store (model, id, payload, grant_id, uid, user_code, account_id, expires_at)
       select model, id, payload, grant_id, uid, user_code, account_id,
         case when ttl > 0 then now() + make_interval(secs => ttl) end
       from (values ${values.join(', ')}) as v (model, id, payload, grant_id, uid, user_code, account_id, ttl)
       where (select count(*) from consumed) = ${consumes.length}
       ${UPSERT_END}`,
      [...consumes.flat(), ...rows.flat()],
    );
    if (rowCount === 0) throw alreadyUsed(consumes);
  };
  /** Writes what the current request deferred so far (before it reads or writes anything else). */
  const drain = async (ctx: object | undefined = Provider.ctx): Promise<void> => {
    if (!ctx) return;
    const queue = queues.get(ctx);
    if (queue && (queue.rows.size || queue.consumes.length)) {
      queues.set(ctx, { consumes: [], rows: new Map() });
      writing.set(ctx, write(queue.consumes, [...queue.rows.values()]));
    }
    await writing.get(ctx);
  };

  return class PostgresAdapter implements Adapter {
    readonly model: string;

    constructor(model: string) {
      this.model = model;
    }

    static begin(ctx: object): void {
      queues.set(ctx, { consumes: [], rows: new Map() });
    }

    static async flush(ctx: object): Promise<void> {
      await drain(ctx);
      // Anything written after the response was built is written at once.
      queues.delete(ctx);
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') throw new Error('clients are managed by the admin API, not the provider');
      if (this.model === 'Grant') forget(id);
      const row = [
        this.model,
        id,
        payload,
        payload.grantId ?? null,
        payload.uid ?? null,
        payload.userCode ?? null,
        payload.accountId ?? null,
        Math.ceil(expiresIn ?? 0),
      ];
      const ctx = Provider.ctx;
      const queue = ctx && DEFERRED.has(this.model) ? queues.get(ctx) : undefined;
      if (queue) {
        queue.rows.set(`${this.model} ${id}`, row);
        return;
      }
      await drain(ctx);
      await write([], [row]);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Client') {
        const client = await clients(id);
        return client && !clientExpired(client) ? metadataOf(client) : undefined;
      }
      await drain();
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

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      await drain();
      return this.one('uid = $2', uid);
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      await drain();
      return this.one('user_code = $2', userCode);
    }

    async consume(id: string): Promise<void> {
      // Only one request may use a code or refresh token: of two presenting it at the same time
      // (both read it unused), the second finds it consumed and is refused. In a provider request
      // this happens with the request's other writes (see `write`).
      const ctx = Provider.ctx;
      const queue = ctx && queues.get(ctx);
      if (queue) {
        queue.consumes.push([this.model, id]);
        return;
      }
      const { rowCount } = await db.query(
        'update oidc_store set consumed_at = now() where model = $1 and id = $2 and consumed_at is null',
        [this.model, id],
      );
      if (rowCount === 0) throw alreadyUsed([[this.model, id]]);
    }

    async destroy(id: string): Promise<void> {
      await drain();
      if (this.model === 'Grant') forget(id);
      await db.query('delete from oidc_store where model = $1 and id = $2', [this.model, id]);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await drain();
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
