import { html } from './html.ts';

/** One application tile of the portal, already decided (who may use it is the domain's business). */
export interface PortalApp {
  id: string;
  type: 'saml' | 'oidc';
  label: string;
  logoUrl: string | null;
  launchUrl: string;
}

/**
 * The user's applications as a list of launch links, for the portal page: a fragment, not a page.
 * SAML applications start at /saml/apps/{id}/start (IdP-initiated); OIDC applications at the
 * launch URL the OIDC provider gives them.
 */
export function applicationList(apps: readonly PortalApp[]): string {
  if (apps.length === 0)
    return html`<section class="apps" aria-labelledby="apps-title"><h2 id="apps-title">Applications</h2><p>No applications are assigned to you.</p></section>`
      .value;
  return html`<section class="apps" aria-labelledby="apps-title"><h2 id="apps-title">Applications</h2>
<ul class="app-list">
${apps.map(
  (app) =>
    html`<li><a class="app" href="${app.launchUrl}">${app.logoUrl ? html`<img src="${app.logoUrl}" alt="" width="32" height="32"> ` : ''}<span>${app.label}</span></a></li>
`,
)}</ul></section>`.value;
}

/** Launch links: SAML apps start IdP-initiated sign-in; OIDC apps use `oidcLaunchUrl(clientId)`. */
export function portalApps(
  apps: readonly {
    id: string;
    type: 'saml' | 'oidc';
    name: string;
    label: string | null;
    logoUrl: string | null;
    oidcClientId: string | null;
  }[],
  oidcLaunchUrl: (clientId: string) => string | undefined,
): PortalApp[] {
  return apps.flatMap((app) => {
    const launchUrl =
      app.type === 'saml'
        ? `/saml/apps/${app.id}/start`
        : app.oidcClientId
          ? oidcLaunchUrl(app.oidcClientId)
          : undefined;
    return launchUrl
      ? [{ id: app.id, type: app.type, label: app.label ?? app.name, logoUrl: app.logoUrl, launchUrl }]
      : [];
  });
}
