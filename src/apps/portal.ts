import type { Application } from './apps.ts';

/** An application tile of the portal: what it is called and where its launch link goes. */
export interface LaunchLink {
  id: string;
  type: Application['type'];
  name: string;
  href: string;
}

/**
 * The launch links of the applications a user may use (from listUserApplications): SAML
 * applications start IdP-initiated sign-in at /saml/apps/{id}/start; OIDC applications go where
 * the OpenID provider says (`oidcLaunchUrl`), and are left out while it knows no link for them.
 */
export function launchLinks(
  apps: readonly Application[],
  oidcLaunchUrl: (clientId: string) => string | undefined = () => undefined,
): LaunchLink[] {
  return apps.flatMap((app) => {
    const href =
      app.type === 'saml'
        ? `/saml/apps/${app.id}/start`
        : app.oidcClientId
          ? oidcLaunchUrl(app.oidcClientId)
          : undefined;
    return href ? [{ id: app.id, type: app.type, name: app.label ?? app.name, href }] : [];
  });
}
