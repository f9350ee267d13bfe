import { findApplication } from '../../src/apps/apps.ts';
import { type AuditEntry, audit, SYSTEM } from '../../src/audit/audit.ts';
import type { Consequence } from '../../src/revocation/consequences.ts';
import type { Runtime } from '../../src/runtime.ts';

interface Participant {
  portal_session_id: string;
  application_id: string;
  name_id: string;
  name_id_format: string;
  session_index: string;
}

/**
 * When a user is revoked, each SAML service provider they hold a session at is told, where it can
 * be told without the browser: a SOAP LogoutRequest to its `backchannelLogoutUrl`. An SP with
 * front-channel logout only (or none) cannot be reached and is audited as not notified. Each
 * participant row is deleted (with its audit entry) after its notice, so a run cut short by a
 * crash sends the rest on its next run: an SP may hear twice, never not at all.
 */
export function samlRevocation(runtime: Runtime): Consequence {
  return async ({ userId, event }) => {
    const { db, log } = runtime;
    const { rows } = await db.query<Participant>(
      `select portal_session_id, application_id, name_id, name_id_format, session_index
       from saml_session_participants where user_id = $1 order by created_at`,
      [userId],
    );
    if (rows.length === 0) return;
    // Loaded here, not at start: samlify and xml-crypto cost every start ~0.7 s (see lazy.ts).
    const [{ sendBackchannelLogout }, { idpEndpoints }] = await Promise.all([
      import('./backchannel-logout.ts'),
      import('./entities.ts'),
    ]);
    const endpoints = idpEndpoints(runtime.config.url);
    const results = await Promise.allSettled(
      rows.map(async (p) => {
        const app = await findApplication(db, p.application_id);
        const target = `application:${p.application_id}`;
        let entry: AuditEntry;
        if (app?.saml?.backchannelLogoutUrl) {
          const outcome = await sendBackchannelLogout(
            runtime.keys,
            endpoints,
            { ...app.saml, backchannelLogoutUrl: app.saml.backchannelLogoutUrl },
            { nameId: p.name_id, format: p.name_id_format, sessionIndex: p.session_index },
          );
          entry = {
            action: 'saml.backchannel_logout',
            target,
            outcome: outcome.ok ? 'success' : 'failure',
            details: {
              userId,
              event,
              requestId: outcome.requestId,
              ...(outcome.ok ? {} : { reason: outcome.reason }),
              ...(outcome.status ? { status: outcome.status } : {}),
            },
          };
          if (outcome.ok) log.info({ applicationId: app.id, userId }, 'saml back-channel logout sent');
          else
            log.warn(
              { applicationId: app.id, userId, reason: outcome.reason },
              'saml back-channel logout failed',
            );
        } else {
          const reason = app?.saml?.slo
            ? 'front-channel logout only: cannot be told without the browser'
            : 'no logout service registered';
          entry = {
            action: 'saml.backchannel_logout',
            target,
            outcome: 'failure',
            details: { userId, event, notified: false, reason },
          };
          log.info({ applicationId: p.application_id, userId, reason }, 'saml service provider not notified');
        }
        await db.transaction(async (tx) => {
          const deleted = await tx.query(
            'delete from saml_session_participants where portal_session_id = $1 and application_id = $2',
            [p.portal_session_id, p.application_id],
          );
          // Another run got there first (the row is gone): it wrote the entry.
          if (deleted.rowCount) await audit(tx, SYSTEM, entry);
        });
      }),
    );
    // Every SP had its turn; a database error on one row is the consequence's failure (logged).
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
}
