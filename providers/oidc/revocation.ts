import { revokeAccountTokens } from '../../src/clients/grants.ts';
import type { Consequence } from '../../src/revocation/consequences.ts';
import type { Runtime } from '../../src/runtime.ts';
import type { OidcProvider } from './provider.ts';

interface SessionPayload {
  accountId?: string;
  authorizations?: Record<string, { sid?: string }>;
}

/** The provider's client model, with what its typings leave out. */
interface BackchannelClient {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

/**
 * When a user is revoked: every provider session, grant, refresh and opaque access token of theirs
 * is deleted (revokeAccountTokens), and each relying party that registered a
 * `backchannel_logout_uri` and took part in one of their sessions receives a logout token for it
 * (signed by the provider, as at RP-initiated logout). Sessions are read before they are deleted;
 * notices go out after, so an RP that calls back finds nothing left. A notice that fails is logged
 * by the provider (`backchannel.error`) and not retried: the tokens are gone either way.
 */
export function oidcRevocation(runtime: Runtime, oidc: OidcProvider): Consequence {
  return async ({ userId }) => {
    const { rows } = await runtime.db.query<{ payload: SessionPayload }>(
      `select payload from oidc_store where model = 'Session' and account_id = $1`,
      [userId],
    );
    const removed = await runtime.db.transaction((tx) => revokeAccountTokens(tx, userId));
    const provider = oidc.current();
    const notices: Promise<void>[] = [];
    for (const { payload } of rows) {
      for (const [clientId, { sid }] of Object.entries(payload.authorizations ?? {})) {
        if (!sid) continue;
        notices.push(
          (async () => {
            const client = (await provider.Client.find(clientId)) as BackchannelClient | undefined;
            if (!client?.backchannelLogoutUri) return;
            await client.backchannelLogout(userId, sid);
            runtime.log.info({ clientId, userId }, 'back-channel logout sent');
          })().catch((error: unknown) =>
            runtime.log.warn(
              { clientId, userId, err: (error as Error).message },
              'back-channel logout failed',
            ),
          ),
        );
      }
    }
    await Promise.all(notices);
    runtime.log.info({ userId, removed }, 'oidc: sessions, grants and tokens of a revoked user deleted');
  };
}
