import { type Html, html } from './html';

/**
 * The shell of every page: Japanese, readable on a phone, styled from one stylesheet (no inline
 * styles or scripts, so the Content-Security-Policy forbids both), working without JavaScript.
 */
export function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} - torimatome</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.text;
}
