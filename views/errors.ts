import { html } from './html.ts';
import { page } from './layout.ts';

/** A friendly page for anything that went wrong in the browser pages: what happened, what to do. */
export function errorPage(
  title: string,
  message: string,
  link = { href: '/signin', text: 'Sign in' },
): string {
  return page({
    title,
    body: html`<p role="alert">${message}</p>
<p><a href="${link.href}">${link.text}</a></p>`,
  });
}

export function formExpiredPage(): string {
  return errorPage(
    'Form expired',
    'This form could not be accepted (it was open too long, or was sent from elsewhere). Go back, reload the page and send it again.',
    { href: '/', text: 'Start again' },
  );
}
