import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError } from "@corral/lib";
import { Hono } from "hono";

const style =
  "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:0 .2rem}";

/** The CSP source of the fallback page's one inline style, so the policy can allow it and nothing else. */
export const landingPageStyleHash = `sha256-${createHash("sha256").update(style).digest("base64")}`;

/** Where the web UI's bundle is written by `bun server/ui/build.ts` (server/ui/dist). */
export const defaultUiDir = fileURLToPath(new URL("../../ui/dist", import.meta.url));

/**
 * The page at `/` when the UI bundle was not built: it says how to build it and where the API is,
 * rather than a blank page or a 404.
 */
export function indexPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Corral</title>
<style>${style}</style>
</head><body>
<h1>Corral</h1>
<p>The web UI is not built: run <code>bun server/ui/build.ts</code> (<code>npm start</code> and <code>npm test</code> do it) and reload.</p>
<p>The API is at <a href="/v2-beta">/v2-beta</a> (HTTP Basic with an API key; the admin key is in the data folder's <code>admin-key.json</code>).</p>
<p>Schemas: <a href="/v2-beta/schemas">/v2-beta/schemas</a>.</p>
</body></html>`;
}

/** The UI a compiled `corral` binary carries (see server/ui/build.ts `embedValue`). */
interface EmbeddedUi {
  index: string;
  assets: Record<string, string>;
}

// Replaced by build/compile.ts (`Bun.build`'s define); undefined when run from source.
declare const CORRAL_UI_BUNDLE: string | undefined;
const embedded: EmbeddedUi | null =
  typeof CORRAL_UI_BUNDLE === "string" ? (JSON.parse(CORRAL_UI_BUNDLE) as EmbeddedUi) : null;

const types: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  map: "application/json",
  svg: "image/svg+xml",
};

/** A bundle file name as the build writes it: `<name>-<hash>.<ext>`, nothing that climbs folders. */
const assetName = /^[a-z0-9_-]{1,80}\.(js|css|map|svg)$/i;

/**
 * The web UI: hashed files under `/assets/` kept by browsers for a year (their names change with
 * their content), and `index.html` for `/` and the UI's own paths (`/login`, `/env/...`), revalidated
 * on every load so a new build is picked up at once. Without a bundle, the fallback page.
 */
export function webRoutes(uiDir: string): Hono {
  const app = new Hono();
  // Files in uiDir win (a fresh build while developing); else what the binary carries; else a note.
  const page = () => {
    const index = join(uiDir, "index.html");
    if (existsSync(index)) return new Response(Bun.file(index), { headers: pageHeaders });
    return new Response(embedded?.index ?? indexPage(), { headers: pageHeaders });
  };
  app.get("/", page);
  app.get("/login", page);
  app.get("/env/*", page);
  app.get("/assets/:name", async (c) => {
    const name = c.req.param("name");
    const ext = assetName.exec(name)?.[1]?.toLowerCase();
    if (!ext) throw new AppError("NotFound", `no UI asset ${name.slice(0, 100)}`);
    const file = Bun.file(join(uiDir, "assets", name));
    const body = (await file.exists()) ? file : embedded?.assets[name];
    if (body === undefined) throw new AppError("NotFound", `no UI asset ${name.slice(0, 100)}`);
    return new Response(body, {
      headers: { "Content-Type": types[ext]!, "Cache-Control": "public, max-age=31536000, immutable" },
    });
  });
  return app;
}

const pageHeaders = { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" };
