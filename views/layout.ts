import { type Html, html } from './html.ts';

/** The page frame shared by every server-rendered page: no script, one stylesheet. */
export function page(options: {
  title: string;
  body: Html;
  wide?: boolean;
  header?: Html;
  head?: Html;
}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · Gatehouse</title>
<link rel="stylesheet" href="/assets/gatehouse.css">
${options.head ?? ''}
</head>
<body>
<main class="${options.wide ? 'card wide' : 'card'}">
${options.header ?? ''}
<h1>${options.title}</h1>
${options.body}
</main>
</body>
</html>
`.value;
}
