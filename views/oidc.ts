import { type Html, html } from './html.ts';
import { page } from './layout.ts';

/** What a scope lets an application see or do, in words a person can judge. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Know who you are (your user id)',
  profile: 'Your name and user name',
  email: 'Your email address',
  groups: 'The groups you are in',
  offline_access: 'Stay signed in while you are away',
  'directory:read': 'Read users, groups and memberships',
  'directory:write': 'Change users, groups and memberships',
  'audit:read': 'Read the audit log',
  admin: 'Administer Gatehouse',
};

export const describeScope = (scope: string): string => SCOPE_WORDS[scope] ?? scope;

export interface ConsentView {
  action: string;
  csrf: string;
  clientName: string;
  userName: string;
  scopes: string[];
}

/** Third-party applications ask before they receive anything. */
export function consentPage(view: ConsentView): string {
  return page({
    title: 'Allow access?',
    body: html`<p><strong>${view.clientName}</strong> asks to use your Gatehouse account <strong>${view.userName}</strong>.</p>
<p id="scopes-label">It will be able to:</p>
<ul aria-labelledby="scopes-label">${view.scopes.map((s) => html`<li>${describeScope(s)}</li>`)}</ul>
<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<button type="submit" name="decision" value="allow" autofocus>Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  });
}

/** Hop that ends a form's redirect chain before it leaves for the application (see interactions.ts). */
export function continuePage(location: string): string {
  return page({
    title: 'Signing you in',
    body: html`<p>Taking you back to the application…</p>
<p><a href="${location}">Continue</a> if nothing happens.</p>`,
    head: html`<meta http-equiv="refresh" content="0;url=${location}">`,
  });
}

export interface DeviceInputView {
  action: string;
  xsrf: string;
  userCode?: string;
  error?: string;
}

/** RFC 8628: the person types the code their device shows. */
export function deviceInputPage(view: DeviceInputView): string {
  return page({
    title: 'Connect a device',
    body: html`${errorBox(view.error)}
<form method="post" action="${view.action}">
<input type="hidden" name="xsrf" value="${view.xsrf}">
<label for="user_code">Code shown on your device</label>
<input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required value="${view.userCode ?? ''}" aria-describedby="code-hint${view.error ? ' errors' : ''}" autofocus>
<p class="hint" id="code-hint">Eight letters, like BCDF-GHJK.</p>
<button type="submit">Continue</button>
</form>`,
  });
}

export interface DeviceConfirmView {
  action: string;
  xsrf: string;
  userCode: string;
  clientName: string;
}

/** The person checks that the code is the one on their device before approving it. */
export function deviceConfirmPage(view: DeviceConfirmView): string {
  return page({
    title: 'Connect this device?',
    body: html`<p><strong>${view.clientName}</strong> asks to sign in as you.</p>
<p>Check that your device shows this code: <strong class="code">${view.userCode}</strong></p>
<p class="hint">If you did not start this, or the code differs, choose Cancel.</p>
<form method="post" action="${view.action}">
<input type="hidden" name="xsrf" value="${view.xsrf}">
<input type="hidden" name="user_code" value="${view.userCode}">
<input type="hidden" name="confirm" value="yes">
<button type="submit" autofocus>Connect</button>
</form>
<form method="post" action="${view.action}">
<input type="hidden" name="xsrf" value="${view.xsrf}">
<input type="hidden" name="user_code" value="${view.userCode}">
<input type="hidden" name="abort" value="yes">
<button type="submit" class="secondary">Cancel</button>
</form>`,
  });
}

export function deviceDonePage(clientName: string | undefined): string {
  return page({
    title: 'Device connected',
    body: html`<p>${clientName ? html`<strong>${clientName}</strong> is` : 'Your device is'} signed in. You can close this page and go back to your device.</p>`,
  });
}

/** RP-initiated logout: signing out of Gatehouse signs out of every application too. */
export function logoutPage(view: { action: string; xsrf: string; clientName?: string | undefined }): string {
  return page({
    title: 'Sign out?',
    body: html`<p>${view.clientName ? html`<strong>${view.clientName}</strong> asks to sign you out.` : 'Sign out of Gatehouse?'} You will be signed out of Gatehouse and of the applications you opened with it.</p>
<form method="post" action="${view.action}">
<input type="hidden" name="xsrf" value="${view.xsrf}">
<button type="submit" name="logout" value="yes" autofocus>Sign out</button>
<button type="submit" class="secondary">Stay signed in</button>
</form>`,
  });
}

export function loggedOutPage(): string {
  return page({ title: 'Signed out', body: html`<p>You are signed out. You can close this page.</p>` });
}

/**
 * The provider's error page: a short, fixed explanation per error code and the request id,
 * never the error's description (it may name clients, redirect URIs or internal state).
 */
export function oidcErrorPage(error: string, requestId: string): string {
  const explanation: Record<string, string> = {
    invalid_client: 'The application is not known to Gatehouse, or its request was not accepted.',
    invalid_redirect_uri: 'The application asked to return to an address it has not registered.',
    invalid_request: 'The application sent a request Gatehouse cannot accept.',
    access_denied: 'Access was refused.',
    login_required: 'You need to sign in first.',
    session_not_found: 'This sign-in took too long or was already used. Start again from the application.',
    invalid_grant: 'This code is not valid any more. Start again from the application.',
  };
  return page({
    title: 'Something went wrong',
    body: html`<p>${explanation[error] ?? 'The request could not be completed.'}</p>
<p class="hint">Error <code>${error}</code>, request <code>${requestId}</code>. Quote these to an administrator.</p>`,
  });
}

function errorBox(error: string | undefined): Html | string {
  return error ? html`<div class="errors" role="alert" id="errors"><p>${error}</p></div>` : '';
}
