import { html } from './html.ts';
import { page } from './layout.ts';

export interface SetupView {
  token: string;
  csrf: string;
  userName: string;
  minLength: number;
  errors?: string[];
}

/** Choose a password, from a one-time set-up or reset link. Works without JavaScript. */
export function setupPage(view: SetupView): string {
  return page({
    title: 'Choose a password',
    body: html`<p>For <strong>${view.userName}</strong>. This link works once.</p>
${view.errors?.length ? html`<div class="errors" role="alert" id="errors"><ul>${view.errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
<form method="post" action="/setup" novalidate>
<input type="hidden" name="token" value="${view.token}">
<input type="hidden" name="csrf" value="${view.csrf}">
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${view.minLength}" aria-describedby="password-hint${view.errors?.length ? ' errors' : ''}" autofocus>
<p class="hint" id="password-hint">At least ${view.minLength} characters. A few unrelated words make a strong one.</p>
<label for="confirm">The same password again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
<button type="submit">Set password</button>
</form>`,
  });
}

export function messagePage(title: string, message: string): string {
  return page({ title, body: html`<p>${message}</p>` });
}

/** After a password was set from a link: on to signing in. */
export function passwordSetPage(message: string): string {
  return page({
    title: 'Password set',
    body: html`<p>${message}</p>
<p><a href="/signin">Sign in</a></p>`,
  });
}
