/**
 * Compiles the multi-call `corral` binary with the web UI inside it, through `Bun.build`: the UI
 * rides in a `define` (CORRAL_UI_BUNDLE, read by server/src/http/web.ts), which with the lazily
 * loaded chunks grew past what one command-line argument may hold (128 KiB), so `bun build
 * --define` on the command line failed with "Argument list too long".
 *
 * Run: `bun build/compile.ts --outfile <path> [--baseline <bun executable of the baseline target>]
 * [--sourcemap]`. Exits 1 with the bundler's messages when the build fails.
 */
import { buildUi, embedValue } from "../server/ui/build.ts";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const outfile = option("--outfile");
if (!outfile) {
  console.error("usage: bun build/compile.ts --outfile <path> [--baseline <bun>] [--sourcemap]");
  process.exit(2);
}
const baseline = option("--baseline");
await buildUi();
const result = await Bun.build({
  entrypoints: [new URL("../bin/corral.ts", import.meta.url).pathname],
  compile: baseline ? { target: "bun-linux-x64-baseline", outfile, executablePath: baseline } : { outfile },
  minify: true,
  bytecode: true,
  ...(args.includes("--sourcemap") ? { sourcemap: "linked" as const } : {}),
  define: { CORRAL_UI_BUNDLE: await embedValue() },
} as Parameters<typeof Bun.build>[0]);
if (!result.success) {
  for (const log of result.logs) console.error(String(log));
  process.exit(1);
}
