/**
 * Builds the web UI: one minified ES module bundle and its stylesheet, named by content hash under
 * `dist/assets/`, and `dist/index.html` that loads them (no inline script or style, so the server's
 * CSP can forbid both). Run as `bun server/ui/build.ts`; prints what the browser downloads, gzipped.
 */

import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** Where the bundle goes by default (the server serves it from there). */
export const uiDist = fileURLToPath(new URL("./dist", import.meta.url));

/** What a build wrote. */
export interface UiBuild {
  outDir: string;
  /** Asset file names, relative to `<outDir>/assets`. */
  js: string;
  css: string | null;
  /** Bytes of the JavaScript a first load downloads (the entry and what it imports), gzipped at level 9. */
  jsGzipBytes: number;
  /** Bytes of the chunks loaded only on demand (the YAML editor...), gzipped at level 9. */
  lazyGzipBytes: number;
  /** The modules that weigh most in the JavaScript, largest first: [path, minified bytes]. */
  biggest: [string, number][];
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

/** Bundles `src/main.tsx` into `outDir` (replacing what was there) and writes index.html. */
export async function buildUi(outDir = uiDist): Promise<UiBuild> {
  const assets = join(outDir, "assets");
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  const result = await Bun.build({
    entrypoints: [fileURLToPath(new URL("./src/main.tsx", import.meta.url))],
    outdir: assets,
    target: "browser",
    format: "esm",
    minify: true,
    // Dynamic imports (the YAML editor, the shell, graphs) become chunks fetched when first used.
    splitting: true,
    naming: { entry: "[name]-[hash].[ext]", chunk: "[name]-[hash].[ext]", asset: "[name]-[hash].[ext]" },
    define: { "process.env.NODE_ENV": '"production"' },
    metafile: true,
  });
  if (!result.success) throw new AggregateError(result.logs, "the UI bundle failed to build");
  const names = (await readdir(assets)).sort();
  const entry = result.outputs.find((o) => o.kind === "entry-point" && o.path.endsWith(".js"));
  const js = entry ? basename(entry.path) : undefined;
  const css = names.find((n) => n.endsWith(".css")) ?? null;
  if (!js) throw new Error("the UI build wrote no JavaScript");
  const eager = await staticImports(assets, js);
  let jsGzipBytes = 0;
  let lazyGzipBytes = 0;
  for (const n of names.filter((n) => n.endsWith(".js"))) {
    const gz = gzipSync(await Bun.file(join(assets, n)).bytes(), { level: 9 }).length;
    if (eager.has(n)) jsGzipBytes += gz;
    else lazyGzipBytes += gz;
  }
  await Bun.write(join(outDir, "index.html"), indexHtml(js, css));
  const meta = (result as unknown as { metafile?: Metafile }).metafile;
  const biggest = Object.entries(meta?.outputs ?? {})
    .filter(([name]) => eager.has(basename(name)))
    .flatMap(([, o]) => Object.entries(o.inputs).map(([n, i]): [string, number] => [n, i.bytesInOutput]))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  return { outDir, js, css, jsGzipBytes, lazyGzipBytes, biggest };
}

/** The entry and every chunk it imports statically (what a first load fetches), not `import()`s. */
async function staticImports(assets: string, entry: string): Promise<Set<string>> {
  const seen = new Set<string>();
  const queue = [entry];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const text = await Bun.file(join(assets, name)).text();
    // `from"./x.js"` and `import"./x.js"`; a dynamic `import("./x.js")` has a parenthesis.
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([\w.-]+\.js)["']/g)) queue.push(m[1]!);
  }
  return seen;
}

/**
 * The built UI as the value of the `CORRAL_UI_BUNDLE` define for `Bun.build` (build/compile.ts): a
 * string literal holding `{index, assets}` as JSON, so the single `corral` binary serves its UI with
 * no files beside it (the server reads it in http/web.ts). Text assets only, which is all the build
 * writes. Given to `Bun.build`, not on a command line: with the lazily loaded chunks it is larger
 * than one command-line argument may be (128 KiB).
 */
export async function embedValue(outDir = uiDist): Promise<string> {
  const assets: Record<string, string> = {};
  for (const name of await readdir(join(outDir, "assets")))
    assets[name] = await Bun.file(join(outDir, "assets", name)).text();
  const index = await Bun.file(join(outDir, "index.html")).text();
  return JSON.stringify(JSON.stringify({ index, assets }));
}

function indexHtml(js: string, css: string | null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Corral</title>
${css ? `<link rel="stylesheet" href="/assets/${css}">\n` : ""}<script type="module" src="/assets/${js}"></script>
</head><body><div id="app"></div></body></html>
`;
}

if (import.meta.main) {
  const started = performance.now();
  const build = await buildUi();
  const size = (await stat(join(build.outDir, "assets", build.js))).size;
  console.log(
    `[ui] built ${basename(build.outDir)}/assets/${build.js}: ${(size / 1024).toFixed(1)} KiB, ` +
      `${(build.jsGzipBytes / 1024).toFixed(1)} KiB gzipped on first load ` +
      `(${(build.lazyGzipBytes / 1024).toFixed(1)} KiB more in chunks loaded on demand), in ${Math.round(performance.now() - started)} ms`,
  );
  console.log(
    `[ui] biggest modules (minified bytes): ${build.biggest.map(([n, b]) => `${n.replace(/^.*node_modules\//, "")} ${b}`).join(", ")}`,
  );
}
