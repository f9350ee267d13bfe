import type { Registry } from 'prom-client';
import { type CredentialIssuer, createCredentialIssuer } from '../credentials/issue.ts';
import { registerCredentialMetrics } from '../credentials/metrics.ts';
import type { SealingKeySource } from '../credentials/session-token.ts';
import { type AccessVerifier, createAccessVerifier } from '../credentials/verifier.ts';
import type { Logger } from '../log.ts';
import type { Revocation } from '../revocation/state.ts';
import type { RevocationView } from '../revocation/types.ts';
import type { Db } from '../store/db.ts';
import { openCatalog, type PermissionSetCatalog } from './catalog.ts';
import { type AccessRevocationFeed, startAccessRevocationFeed } from './revocation-feed.ts';

/** What a node holds for access: compiled permission sets, the verifier, the issuer. */
export interface AccessNode {
  catalog: PermissionSetCatalog;
  verifier: AccessVerifier;
  issuer: CredentialIssuer;
  feed: AccessRevocationFeed;
  close(): Promise<void>;
}

export interface AccessNodeOptions {
  /** How far back access events are replayed into the revocation set (≥ the longest credential lifetime). */
  window: number;
  /** Re-read interval for missed notifications. */
  interval: number;
}

/**
 * Starts this node's access machinery: the catalog, the feed that turns removed assignments and
 * changed permission sets into revocations, and the verifier that checks every use against them.
 */
export async function startAccess(
  db: Db,
  keys: SealingKeySource,
  revocation: RevocationView & { state: { apply(revocation: Revocation): void } },
  options: AccessNodeOptions,
  log: Logger,
  metrics?: Registry,
): Promise<AccessNode> {
  const counters = metrics ? registerCredentialMetrics(metrics) : undefined;
  const onError = (what: string) => (error: unknown) =>
    log.warn({ err: (error as Error).message }, `access: ${what} failed; the timer will retry`);
  const catalog = await openCatalog(db, {
    refreshIntervalMs: options.interval,
    onError: onError('catalog reload'),
  });
  const feed = await startAccessRevocationFeed(db, revocation.state, {
    window: options.window,
    interval: options.interval,
    onError: onError('revocation feed'),
  });
  const verifier = createAccessVerifier({
    keys,
    revocation,
    permissionSets: catalog,
    ...(counters ? { observe: counters.used } : {}),
  });
  const issuing = createCredentialIssuer(db, keys, counters ? { observe: counters.issued } : {});
  // Credentials issued here verify here at once: the catalog loads their permission set version first.
  const issuer: CredentialIssuer = {
    async issue(request, context) {
      const issued = await issuing.issue(request, context);
      const loaded = catalog.get(request.permissionSetId);
      if (!loaded || loaded.version < issued.permissionSetVersion) await catalog.refresh();
      return issued;
    },
  };
  return {
    catalog,
    verifier,
    issuer,
    feed,
    async close() {
      await feed.close();
      await catalog.close();
    },
  };
}
