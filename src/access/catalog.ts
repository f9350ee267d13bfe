// Permission sets compiled once and kept in memory, so a decision reads no database. The catalog
// reloads when a domain event arrives (debounced, and only when the permission sets or policies
// changed) and on a timer, so a missed notification costs seconds.
import { EVENTS_CHANNEL } from '../directory/events.ts';
import {
  type CompiledPolicySet,
  compilePolicySet,
  type NamedPolicy,
  type PolicyDocument,
} from '../policy/index.ts';
import type { Db, Queryable } from '../store/db.ts';

export interface CatalogEntry {
  id: string;
  name: string;
  version: number;
  sessionDuration: string;
  policies: CompiledPolicySet;
}

export interface PermissionSetCatalog {
  get(id: string): CatalogEntry | undefined;
  /** Reloads now if anything changed (awaitable: tests and start-up). */
  refresh(): Promise<void>;
  /** Asks for a reload soon (a credential names a version this node has not loaded yet). */
  requestRefresh(): void;
  close(): Promise<void>;
}

interface Row {
  id: string;
  name: string;
  version: number;
  session_duration: string;
  inline_policy: PolicyDocument | null;
  boundary_name: string | null;
  boundary: PolicyDocument | null;
  managed: { name: string; document: PolicyDocument }[] | null;
}

/** The name the inline policy goes by in decisions and audit entries. */
export const INLINE_POLICY_NAME = 'inline';

export async function loadCatalogEntries(q: Queryable): Promise<Map<string, CatalogEntry>> {
  const { rows } = await q.query<Row>(
    `select ps.id, ps.name, ps.version, ps.session_duration, ps.inline_policy,
            b.name as boundary_name, b.document as boundary,
            (select json_agg(json_build_object('name', mp.name, 'document', mp.document) order by psp.position)
             from permission_set_policies psp join managed_policies mp on mp.id = psp.policy_id
             where psp.permission_set_id = ps.id) as managed
     from permission_sets ps left join managed_policies b on b.id = ps.boundary_policy_id`,
  );
  const entries = new Map<string, CatalogEntry>();
  for (const r of rows) {
    const identity: NamedPolicy[] = (r.managed ?? []).map((m) => ({ name: m.name, policy: m.document }));
    if (r.inline_policy) identity.push({ name: INLINE_POLICY_NAME, policy: r.inline_policy });
    entries.set(r.id, {
      id: r.id,
      name: r.name,
      version: r.version,
      sessionDuration: r.session_duration,
      policies: compilePolicySet({
        identity,
        ...(r.boundary && r.boundary_name ? { boundary: { name: r.boundary_name, policy: r.boundary } } : {}),
      }),
    });
  }
  return entries;
}

export async function openCatalog(
  db: Db,
  options: { refreshIntervalMs?: number; debounceMs?: number; onError?: (error: unknown) => void } = {},
): Promise<PermissionSetCatalog> {
  let entries = new Map<string, CatalogEntry>();
  let fingerprint = '';
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const reload = async () => {
    const { rows } = await db.query<{ f: string }>(
      `select (select count(*) || ':' || coalesce(sum(version), 0) || ':' || coalesce(max(updated_at)::text, '') from permission_sets)
           || '/' || (select count(*) || ':' || coalesce(sum(version), 0) || ':' || coalesce(max(updated_at)::text, '') from managed_policies) as f`,
    );
    const next = rows[0]!.f;
    if (next === fingerprint) return;
    entries = await loadCatalogEntries(db);
    fingerprint = next;
  };
  const refresh = (): Promise<void> => {
    running ??= reload().finally(() => {
      running = undefined;
    });
    return running;
  };
  const requestRefresh = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      refresh().catch((error: unknown) => options.onError?.(error));
    }, options.debounceMs ?? 50);
    timer.unref();
  };

  await refresh();
  const unlisten = await db.listen(EVENTS_CHANNEL, requestRefresh);
  const interval = setInterval(requestRefresh, options.refreshIntervalMs ?? 30_000).unref();
  return {
    get: (id) => entries.get(id),
    refresh,
    requestRefresh,
    async close() {
      clearInterval(interval);
      if (timer) clearTimeout(timer);
      await unlisten();
    },
  };
}
