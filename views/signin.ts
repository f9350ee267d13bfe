import { type Html, html } from './html.ts';
import { page } from './layout.ts';

const alert = (message: string | undefined) =>
  message ? html`<div class="errors" role="alert" id="form-error"><p>${message}</p></div>` : '';
const describedBy = (message: string | undefined, hint?: string) => {
  const ids = [hint, message ? 'form-error' : undefined].filter(Boolean).join(' ');
  return ids ? html` aria-describedby="${ids}"` : '';
};

export interface SignInView {
  csrf: string;
  returnTo: string;
  forceLogin: boolean;
  userName?: string;
  error?: string;
}

/** User name and password. The server finds the person's identity source from the name. */
export function signInPage(view: SignInView): string {
  return page({
    title: 'Sign in',
    body: html`${alert(view.error)}
<form method="post" action="/signin">
<input type="hidden" name="csrf" value="${view.csrf}">
<input type="hidden" name="return_to" value="${view.returnTo}">
${view.forceLogin ? html`<input type="hidden" name="prompt" value="login">` : ''}
<label for="username">User name</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${view.userName ?? ''}"${view.userName ? '' : html` autofocus`}${describedBy(view.error)}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${view.userName ? html` autofocus` : ''}>
<button type="submit">Sign in</button>
</form>`,
  });
}

export interface MfaView {
  csrf: string;
  userName: string;
  /** Where the sign-in goes afterwards (kept by "start again"). */
  returnTo: string;
  error?: string;
}

/** The second step: a code from the authenticator app, or one of the recovery codes. */
export function mfaPage(view: MfaView): string {
  return page({
    title: 'Two-step verification',
    body: html`<p>Signing in as <strong>${view.userName}</strong>.</p>
${alert(view.error)}
<form method="post" action="/signin/mfa">
<input type="hidden" name="csrf" value="${view.csrf}">
<label for="code">Code from your authenticator app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required autofocus${describedBy(view.error, 'code-hint')}>
<p class="hint" id="code-hint">Six digits. Lost your device? Enter one of your recovery codes instead.</p>
<button type="submit">Verify</button>
</form>
<p><a href="/signin?return_to=${encodeURIComponent(view.returnTo)}">Start again</a></p>`,
  });
}

export interface EnrolView {
  csrf: string;
  userName: string;
  deviceId: string;
  secret: string;
  /** The QR code as inline SVG (generated here, not user input). */
  qrSvg: Html;
  action: string;
  required: boolean;
  error?: string;
}

/** Enrolling an authenticator app: the QR code, the secret as text, and a code to prove it works. */
export function enrolPage(view: EnrolView): string {
  const grouped = view.secret.match(/.{1,4}/g)!.join(' ');
  return page({
    title: 'Set up two-step verification',
    body: html`${view.required ? html`<p>A second factor is required for <strong>${view.userName}</strong>. It cannot be skipped.</p>` : ''}
<ol>
<li>Open an authenticator app on your phone and add an account.</li>
<li>Scan this QR code, or type the key below.</li>
<li>Enter the six-digit code the app shows.</li>
</ol>
<figure class="qr" role="img" aria-label="QR code of the authenticator key">${view.qrSvg}</figure>
<p>Key: <code class="secret" id="totp-secret">${grouped}</code></p>
${alert(view.error)}
<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<input type="hidden" name="device" value="${view.deviceId}">
<label for="code">Six-digit code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus${describedBy(view.error)}>
<button type="submit">Turn on</button>
</form>`,
  });
}

/** Recovery codes, shown once. */
export function recoveryCodesPage(codes: readonly string[], continueHref: string): string {
  return page({
    title: 'Your recovery codes',
    body: html`<p>Keep these somewhere safe. Each works once, in place of a code from your app, if you lose it. They will not be shown again.</p>
<ul class="codes" id="recovery-codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
<p><a class="button" href="${continueHref}">I have saved them — continue</a></p>`,
  });
}

export interface ChangePasswordView {
  csrf: string;
  userName: string;
  minLength: number;
  action: string;
  reason: string;
  errors?: string[];
}

/** Choosing a new password: forced at sign-in (reset or expired), or from the portal. */
export function changePasswordPage(view: ChangePasswordView): string {
  const hasErrors = Boolean(view.errors?.length);
  return page({
    title: 'Change your password',
    body: html`<p>${view.reason}</p>
${hasErrors ? html`<div class="errors" role="alert" id="form-error"><ul>${view.errors!.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<input type="text" name="username" value="${view.userName}" autocomplete="username" hidden>
<label for="current">Current password</label>
<input id="current" name="current" type="password" autocomplete="current-password" required autofocus${hasErrors ? html` aria-describedby="form-error"` : ''}>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${view.minLength}" aria-describedby="password-hint">
<p class="hint" id="password-hint">At least ${view.minLength} characters. A few unrelated words make a strong one.</p>
<label for="confirm">The same password again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
<button type="submit">Change password</button>
</form>`,
  });
}
