import { createHash } from "node:crypto";

const style =
  "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:0 .2rem}";

/** The CSP source of the landing page's one inline style, so the policy can allow it and nothing else. */
export const landingPageStyleHash = `sha256-${createHash("sha256").update(style).digest("base64")}`;

/** A minimal landing page at `/` that points people at the API until the web UI arrives. */
export function indexPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Corral</title>
<style>${style}</style>
</head><body>
<h1>Corral</h1>
<p>The API is at <a href="/v2-beta">/v2-beta</a> (HTTP Basic with an API key; the admin key is in the data folder's <code>admin-key.json</code>).</p>
<p>Schemas: <a href="/v2-beta/schemas">/v2-beta/schemas</a>.</p>
</body></html>`;
}
