import { effectiveAccess } from '../access/assignments.ts';
import { listUserApplications } from '../apps/assignments.ts';
import { launchLinks } from '../apps/portal.ts';
import { findClient } from '../clients/clients.ts';
import type { Runtime } from '../runtime.ts';
import type { PortalSources } from './routes/portal.ts';

/** What the portal's Accounts and Applications sections show, from the access and app catalogs. */
export function portalSources(runtime: Runtime): PortalSources {
  const { db } = runtime;
  return {
    async accounts(userId) {
      const byAccount = new Map<
        string,
        { id: string; name: string; permissionSets: { name: string; href: string }[] }
      >();
      for (const a of await effectiveAccess(db, userId)) {
        let account = byAccount.get(a.accountId);
        if (!account) {
          account = { id: a.accountId, name: a.accountName, permissionSets: [] };
          byAccount.set(a.accountId, account);
        }
        account.permissionSets.push({ name: a.permissionSetName, href: '/access' });
      }
      return [...byAccount.values()];
    },
    async applications(userId) {
      const apps = await listUserApplications(db, userId);
      // An OIDC application starts its own sign-in: the portal opens it at its home, the origin of
      // its first web redirect URI (a native client's loopback or custom scheme has none).
      const homes = new Map<string, string>();
      for (const app of apps) {
        if (app.type !== 'oidc' || !app.oidcClientId) continue;
        const client = await findClient(db, app.oidcClientId);
        const web = client?.redirectUris.map((u) => new URL(u)).find((u) => u.protocol === 'https:');
        if (web) homes.set(app.oidcClientId, `${web.origin}/`);
      }
      return launchLinks(apps, (clientId) => homes.get(clientId)).map((app) => ({
        name: app.name,
        href: app.href,
      }));
    },
  };
}

/** The AWS federation template's roles: the user's (account, permission set) pairs. */
export function awsRolesOf(runtime: Runtime) {
  return async (userId: string) =>
    (await effectiveAccess(runtime.db, userId)).map((a) => ({
      accountId: a.accountId,
      permissionSet: a.permissionSetName,
    }));
}
