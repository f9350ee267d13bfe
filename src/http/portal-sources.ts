import { effectiveAccess } from '../access/assignments.ts';
import { listUserApplications } from '../apps/assignments.ts';
import { launchLinks } from '../apps/portal.ts';
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
      return launchLinks(await listUserApplications(db, userId)).map((app) => ({
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
