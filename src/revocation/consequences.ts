import type { DomainEventType, StoredEvent } from '../directory/events.ts';
import type { Logger } from '../log.ts';
import type { EventHandler } from './consumer.ts';

/** The events after which nothing a user holds may go on: each one's consequences run once. */
export const USER_REVOKING_EVENTS: ReadonlySet<DomainEventType> = new Set([
  'user.disabled',
  'user.deprovisioned',
  'user.revoked',
  'user.erased',
]);

export interface UserRevoked {
  userId: string;
  /** What happened (`user.disabled`, …). */
  event: DomainEventType;
  eventId: number;
}

/**
 * One thing that must end when a user is revoked, beyond what the revocation set already refuses
 * (portal sessions, the OpenID provider's grants and back-channel logout, SAML logout). It must be
 * idempotent: it may run again after a crash between acting and moving the cursor.
 */
export type Consequence = (revoked: UserRevoked) => Promise<void>;

/**
 * Where the modules that hold something of a user register how to end it (one line each):
 * `portal-sessions` (src/runtime.ts), `oidc` (providers/oidc/index.ts) and `saml-logout`
 * (providers/saml/lazy.ts: a SOAP LogoutRequest to the SPs of the user's sessions).
 */
export interface ConsequenceRegistry {
  add(name: string, consequence: Consequence): void;
  names(): string[];
  /** The once-across-nodes event handler (src/revocation/consumer.ts) that runs them all. */
  handler(log: Logger): EventHandler;
}

export function createConsequences(): ConsequenceRegistry {
  const registered = new Map<string, Consequence>();
  return {
    add(name, consequence) {
      if (registered.has(name)) throw new Error(`revocation consequence ${name} registered twice`);
      registered.set(name, consequence);
    },
    names: () => [...registered.keys()],
    handler(log) {
      return async (event: StoredEvent) => {
        if (!USER_REVOKING_EVENTS.has(event.type) || !event.userId) return;
        const revoked: UserRevoked = { userId: event.userId, event: event.type, eventId: event.id };
        // Each on its own: one failing (an unreachable RP) must not keep the others from running.
        for (const [name, consequence] of registered) {
          try {
            await consequence(revoked);
          } catch (error) {
            log.warn(
              { consequence: name, userId: revoked.userId, event: event.id, err: (error as Error).message },
              'revocation consequence failed',
            );
          }
        }
        log.info({ userId: revoked.userId, event: event.type }, 'revocation consequences done');
      };
    },
  };
}
