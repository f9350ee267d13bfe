import { type Html, html } from './html.ts';
import { page } from './layout.ts';

/**
 * The user portal. Each section is a function of data fetched already, so later work (accounts
 * with permission sets, applications) adds its data to the view and renders into its section.
 */
export interface PortalProfile {
  userName: string;
  displayName: string | null;
  emails: string[];
  source: string;
  groups: string[];
  administrator: boolean;
}

export interface PortalDevice {
  id: string;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface PortalSessionRow {
  id: string;
  current: boolean;
  createdAt: Date;
  lastSeenAt: Date;
  userAgent?: string;
  ip?: string;
  mfa: boolean;
}

/** An account the person may use, with the permission sets they were assigned in it. */
export interface PortalAccount {
  id: string;
  name: string;
  permissionSets: { name: string; href?: string }[];
}

/** A third-party application the person may open. */
export interface PortalApplication {
  name: string;
  href: string;
  description?: string;
}

export interface PortalView {
  csrf: string;
  notice?: string;
  error?: string;
  profile: PortalProfile;
  devices: PortalDevice[];
  recoveryCodesLeft: number;
  mfaRequired: boolean;
  canChangePassword: boolean;
  sessions: PortalSessionRow[];
  accounts: PortalAccount[];
  applications: PortalApplication[];
}

const when = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : 'never');
const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;

export function profileSection(p: PortalProfile): Html {
  return html`<section aria-labelledby="profile-h"><h2 id="profile-h">Profile</h2>
<dl>
<dt>User name</dt><dd>${p.userName}</dd>
<dt>Name</dt><dd>${p.displayName ?? '—'}</dd>
<dt>Email</dt><dd>${p.emails.length ? p.emails.join(', ') : '—'}</dd>
<dt>Directory</dt><dd>${p.source === 'builtin' ? 'Gatehouse' : p.source}</dd>
<dt>Groups</dt><dd>${p.groups.length ? p.groups.join(', ') : '—'}</dd>
${p.administrator ? html`<dt>Role</dt><dd>Administrator</dd>` : ''}
</dl></section>`;
}

export function mfaSection(
  view: Pick<PortalView, 'csrf' | 'devices' | 'recoveryCodesLeft' | 'mfaRequired'>,
): Html {
  const last = view.devices.length === 1 && view.mfaRequired;
  return html`<section aria-labelledby="mfa-h"><h2 id="mfa-h">Two-step verification</h2>
${view.devices.length ? '' : html`<p>${view.mfaRequired ? 'Required for you, and not set up yet.' : 'Not set up. Add an authenticator app to protect your account.'}</p>`}
<ul class="rows" id="devices">${view.devices.map(
    (d) => html`<li><span>${d.label} — added ${when(d.createdAt)}, last used ${when(d.lastUsedAt)}</span>
<form method="post" action="/portal/mfa/remove">${csrfField(view.csrf)}<input type="hidden" name="device" value="${d.id}">
<button type="submit" class="small secondary"${last ? html` disabled title="Your only authenticator cannot be removed while a second factor is required"` : ''}>Remove</button></form></li>`,
  )}</ul>
<form method="post" action="/portal/mfa/new">${csrfField(view.csrf)}<button type="submit" class="secondary">Add an authenticator app</button></form>
${
  view.devices.length
    ? html`<p>Recovery codes left: <strong id="recovery-left">${view.recoveryCodesLeft}</strong> of 10.</p>
<form method="post" action="/portal/recovery-codes">${csrfField(view.csrf)}<button type="submit" class="secondary">New recovery codes</button></form>`
    : ''
}
</section>`;
}

export function passwordSection(canChange: boolean): Html {
  return html`<section aria-labelledby="password-h"><h2 id="password-h">Password</h2>
${canChange ? html`<p><a href="/portal/password">Change your password</a></p>` : html`<p>Your password is managed by your organisation’s directory.</p>`}
</section>`;
}

export function sessionsSection(csrf: string, sessions: PortalSessionRow[]): Html {
  return html`<section aria-labelledby="sessions-h"><h2 id="sessions-h">Where you are signed in</h2>
<ul class="rows" id="sessions">${sessions.map(
    (
      s,
    ) => html`<li><span>${s.current ? html`<strong>This browser</strong> — ` : ''}${s.userAgent ?? 'unknown browser'}${s.ip ? ` from ${s.ip}` : ''}; signed in ${when(s.createdAt)}${s.mfa ? ' with two steps' : ''}, last active ${when(s.lastSeenAt)}</span>
<form method="post" action="/portal/sessions/end">${csrfField(csrf)}<input type="hidden" name="session" value="${s.id}">
<button type="submit" class="small secondary">${s.current ? 'Sign out' : 'End'}</button></form></li>`,
  )}</ul></section>`;
}

export function accountsSection(accounts: PortalAccount[]): Html {
  return html`<section aria-labelledby="accounts-h"><h2 id="accounts-h">Accounts</h2>
${
  accounts.length
    ? html`<ul class="rows" id="accounts">${accounts.map(
        (a) =>
          html`<li><span><strong>${a.name}</strong> (${a.id})</span><span>${a.permissionSets.map((p) =>
            p.href ? html`<a href="${p.href}">${p.name}</a> ` : html`${p.name} `,
          )}</span></li>`,
      )}</ul>`
    : html`<p>No accounts assigned to you yet.</p>`
}
</section>`;
}

export function applicationsSection(applications: PortalApplication[]): Html {
  return html`<section aria-labelledby="apps-h"><h2 id="apps-h">Applications</h2>
${
  applications.length
    ? html`<ul class="rows" id="applications">${applications.map(
        (a) =>
          html`<li><a href="${a.href}">${a.name}</a>${a.description ? html` — ${a.description}` : ''}</li>`,
      )}</ul>`
    : html`<p>No applications assigned to you yet.</p>`
}
</section>`;
}

export function portalPage(view: PortalView): string {
  const name = view.profile.displayName ?? view.profile.userName;
  return page({
    title: `Hello, ${name}`,
    wide: true,
    header: html`<nav class="top" aria-label="Account"><span>Gatehouse</span>
<form method="post" action="/signout">${csrfField(view.csrf)}<button type="submit" class="small secondary">Sign out</button></form></nav>`,
    body: html`${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${view.error ? html`<div class="errors" role="alert"><p>${view.error}</p></div>` : ''}
${applicationsSection(view.applications)}
${accountsSection(view.accounts)}
${profileSection(view.profile)}
${mfaSection(view)}
${passwordSection(view.canChangePassword)}
${sessionsSection(view.csrf, view.sessions)}`,
  });
}
