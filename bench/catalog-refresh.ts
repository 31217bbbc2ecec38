/**
 * Benchmark: refreshing a catalog of 150 templates x 5 versions (generated, Rancher's layout, one
 * commit) served by a real `git daemon` on loopback, against a bare `git clone` of the same
 * repository from the same daemon in the same run; then listing its templates over HTTP.
 *
 * - Refresh: `CatalogService.refresh` (shallow `git clone --depth 1 --branch master` beside the last
 *   copy, swap, then index every config.yml, version folder and rancher-compose.yml into memory).
 * - Baseline, interleaved round by round: `git clone <url> <dir>` of the same repository.
 * - Listing: `GET /v1-catalog/templates` of an in-process server holding that catalog (150
 *   templates with their version links), the filters Rancher's CLI sends, one request at a time.
 * Prints medians and the ratio refresh / clone (target <= 1.5) and the listing p50 (target <= 50 ms).
 *
 * Run: `bun bench/catalog-refresh.ts [rounds=7] [lists=200]`
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { startServer } from "../server/index.ts";
import { SecretBox } from "../server/src/auth/secret-box.ts";
import { CatalogService } from "../server/src/catalog/catalogs.ts";
import { openDatabase } from "../server/src/store/db.ts";
import { Store } from "../server/src/store/store.ts";
import { commitFiles, startGitDaemon } from "../server/testing/test-catalog.ts";
import {
  basic,
  fmt,
  machineLine,
  median,
  quantile,
  report,
  revision,
  startLoadMonitor,
} from "./lib/common.ts";

const rounds = Number(process.argv[2] ?? 7);
const lists = Number(process.argv[3] ?? 200);
const load = startLoadMonitor();
const work = mkdtempSync(join(tmpdir(), "bench-catalog-"));

/** 150 templates x 5 versions, each version with both compose files and a README. */
function generated(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let t = 0; t < 150; t++) {
    const name = `app-${t}`;
    files[`templates/${name}/config.yml`] =
      `name: ${name}\ndescription: generated ${t}\nversion: 1.0.4\ncategory: Bench\n`;
    files[`templates/${name}/catalogIcon-${name}.svg`] = `<svg xmlns="http://www.w3.org/2000/svg"/>`;
    for (let v = 0; v < 5; v++) {
      files[`templates/${name}/${v}/docker-compose.yml`] =
        `version: '2'\nservices:\n  web:\n    image: corral/busybox:latest\n    environment:\n      PORT: \${port}\n`;
      files[`templates/${name}/${v}/rancher-compose.yml`] =
        `version: '2'\ncatalog:\n  name: ${name}\n  version: 1.0.${v}\n  upgrade_from: "<1.0.${v}"\n  questions:\n    - variable: port\n      type: int\n      default: 80\nservices:\n  web:\n    scale: 1\n`;
      files[`templates/${name}/${v}/README.md`] = `# ${name} ${v}\n\n${randomBytes(256).toString("hex")}\n`;
    }
  }
  return files;
}

await commitFiles(join(work, "repos", "big"), generated(), "generated");
const daemon = await startGitDaemon(join(work, "repos"));
const url = `${daemon.url}big`;

const store = new Store(openDatabase(":memory:"));
const catalogs = new CatalogService(store, new SecretBox(randomBytes(32)), join(work, "clones"));
store.transaction(() => catalogs.insert({ name: "big", url, branch: "master" }));

const refreshMs: number[] = [];
const cloneMs: number[] = [];
for (let r = 0; r < rounds; r++) {
  const dir = join(work, `bare-${r}`);
  let t = performance.now();
  await execa("git", ["clone", "--quiet", url, dir]);
  cloneMs.push(performance.now() - t);
  rmSync(dir, { recursive: true, force: true });
  t = performance.now();
  await catalogs.refresh("big");
  refreshMs.push(performance.now() - t);
  const row = catalogs.row("big")!;
  if (row.state !== "active") throw new Error(`refresh failed: ${JSON.stringify(row.data)}`);
}
const templates = catalogs.index("big")!.templates;
if (templates.length !== 150 || templates.some((t) => t.versions.length !== 5)) throw new Error("bad index");

// Listing: a server holding the same catalog (its own first fetch), answered over HTTP.
const server = startServer({
  port: 0,
  hostname: "127.0.0.1",
  dataDir: null,
  env: { CORRAL_CATALOG_REFRESH_SECONDS: "0", CORRAL_CATALOG_URL: `big=${url}` },
});
const auth = basic(server.admin.accessKey, server.admin.secretKey!);
for (let i = 0; i < 600; i++) {
  const res = await fetch(`${server.url}/v1-catalog/catalogs/big`, { headers: { Authorization: auth } });
  if (((await res.json()) as { state?: string }).state === "active") break;
  await Bun.sleep(100);
}
const listUrl = `${server.url}/v1-catalog/templates?minimumRancherVersion_lte=v1.6.30&category_ne=system`;
const listMs: number[] = [];
for (let i = 0; i < lists; i++) {
  const t = performance.now();
  const res = await fetch(listUrl);
  const body = (await res.json()) as { data: unknown[] };
  listMs.push(performance.now() - t);
  if (body.data.length !== 150) throw new Error(`listed ${body.data.length}`);
}
await server.stop();
await catalogs.stop();
await daemon.stop();
rmSync(work, { recursive: true, force: true });

const ratio = median(refreshMs) / median(cloneMs);
report([
  `catalog refresh, 150 templates x 5 versions (${rounds} rounds, interleaved), ${machineLine()}`,
  revision(),
  load.summary(),
  `git clone (baseline): median ${fmt(median(cloneMs))} ms  [${cloneMs.map((x) => fmt(x)).join(", ")}]`,
  `catalog refresh:      median ${fmt(median(refreshMs))} ms  [${refreshMs.map((x) => fmt(x)).join(", ")}]`,
  `ratio refresh / clone: ${fmt(ratio, 2)} (target <= 1.5)`,
  `GET /v1-catalog/templates (150 templates, CLI filters), ${lists} requests: p50 ${fmt(quantile(listMs, 0.5))} ms, p99 ${fmt(quantile(listMs, 0.99))} ms (target p50 <= 50 ms)`,
]);
