import { html } from './html.ts';
import { page } from './layout.ts';

export interface PostForm {
  action: string;
  fields: Record<string, string>;
  nonce: string;
}

/**
 * Delivers a SAML message to another site with HTTP-POST: a form that a script (allowed by the
 * page's CSP nonce) submits at once, and that a person submits with the button when scripts are off.
 */
export function autoPostPage(form: PostForm): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Signing you in · Gatehouse</title>
<link rel="stylesheet" href="/assets/gatehouse.css">
</head>
<body>
<main class="card">
${
  html`<h1>Signing you in…</h1>
<form id="saml" method="post" action="${form.action}">
${Object.entries(form.fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<p>If nothing happens, continue to the application.</p>
<button type="submit">Continue</button>
</form>
<script nonce="${form.nonce}">document.getElementById('saml').submit();</script>`.value
}
</main>
</body>
</html>
`;
}

export function samlErrorPage(title: string, message: string, requestId: string): string {
  return page({
    title,
    body: html`<p>${message}</p><p class="hint">Reference: <code>${requestId}</code></p>`,
  });
}

export function accessDeniedPage(appName: string, requestId: string): string {
  return page({
    title: "You don't have access to this application",
    body: html`<p>Your account is not assigned to <strong>${appName}</strong>. If you need it, ask an administrator to give you access.</p>
<p class="hint">Reference: <code>${requestId}</code></p>
<p><a href="/">Back to your applications</a></p>`,
  });
}

export function signedOutPage(): string {
  return page({
    title: 'Signed out',
    body: html`<p>You are signed out of Gatehouse and the applications you used.</p>`,
  });
}
