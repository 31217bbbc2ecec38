/**
 * Web UI benchmark: the stacks page of an environment with 50 stacks / 300 containers, from
 * navigation start until every stack card and container count is on screen, in headless chromium
 * (Debian's package through playwright-core) on loopback; an in-process server with two fake hosts.
 *
 * In-run baseline: the same page's rendered HTML saved as a static file (its stylesheet inlined,
 * no script) served by `Bun.serve`, timed to the same condition. Medians of the runs, and their ratio.
 *
 * Two clocks per load, both `performance.now()` in the page (ms since its navigation started):
 * - observed: a script installed before the page's own (`addInitScript`) checks the condition on
 *   every DOM change and notes the next animation frame after it first holds (when it is painted);
 * - polled: Playwright's `waitForFunction` with `raf` polling, which starts only once Playwright's
 *   own script is in the page and its round trips allow (up to ~600 ms late on this machine).
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/ui-stacks-page.ts [runs=7]`
 * Target (issue 15): interactive within 500 ms.
 */
import { rmSync } from "node:fs";
import { FakeAgent } from "../test/api/fake-agent.ts";
import { adminClient, expectStatus, startTestServer, until } from "../test/api/harness.ts";
import { buildForTest, launchBrowser } from "../test/ui/browser.ts";

const runs = Number(process.argv[2] ?? 7);
const stacks = 50;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const build = await buildForTest();
const server = startTestServer({ uiDir: build.outDir });
const admin = adminClient(server);
const pid = server.admin.defaultProjectId;
const base = `/v2-beta/projects/${pid}`;
const token = expectStatus(await admin.post(`${base}/registrationtokens`, {}), 201).body.token;
// Two hosts: one host's /24 slice holds at most 253 managed addresses.
const agents = [await FakeAgent.join(server.url, token), await FakeAgent.join(server.url, token)];
for (let i = 0; i < stacks; i++) {
  expectStatus(
    await admin.post(`${base}/stacks`, {
      name: `s${i}`,
      dockerCompose: "services:\n  web:\n    image: busybox\n  db:\n    image: busybox\n",
      rancherCompose: "services:\n  web:\n    scale: 3\n  db:\n    scale: 3\n",
    }),
    201,
  );
}
await until(
  "300 running containers",
  async () => (await admin.get(`${base}/containers?state=running&limit=-2`)).body.data.length === stacks * 6,
  120_000,
  500,
);

// A logged-in browser context: the session cookie from a real login.
const login = await fetch(`${server.url}/v2-beta/token`, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ username: "admin", password: server.admin.password }),
});
const cookies = login.headers.getSetCookie().map((c) => {
  const [pair] = c.split(";");
  const [name, ...value] = pair!.split("=");
  return { name: name!, value: value.join("="), url: server.url };
});
const browser = await launchBrowser();
// bypassCSP: the timing predicate is a string evaluated in the page, which our CSP (rightly) forbids.
const context = await browser.newContext({ bypassCSP: true });
await context.addCookies(cookies);

// Every card and count on screen: the same condition for the UI and the static page.
const ready = `document.querySelectorAll("section.card").length === ${stacks} &&
  [...document.querySelectorAll('[data-testid="container-count"]')].filter((c) => c.textContent === "3").length === ${2 * stacks}`;
await context.addInitScript(`(() => {
  const check = () => {
    if (window.__seen || !(${ready})) return;
    window.__seen = true;
    requestAnimationFrame(() => { window.__readyAt = performance.now(); });
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
})()`);

/** Loads `url` in a fresh page; answers ms from navigation start until every card and count is shown. */
async function timeTo(url: string): Promise<{ observed: number; polled: number }> {
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "commit" });
  // Strings: they run in the page (this file is type-checked without the DOM's types).
  const polled = await page.waitForFunction(`(${ready}) ? performance.now() : false`, undefined, {
    polling: "raf",
    timeout: 60_000,
  });
  const observed = await page.waitForFunction("window.__readyAt ?? false", undefined, { timeout: 60_000 });
  const value = {
    observed: (await observed.jsonValue()) as number,
    polled: (await polled.jsonValue()) as number,
  };
  await page.close();
  return value;
}

const pageUrl = `${server.url}/env/${pid}/stacks`;
await timeTo(pageUrl); // warm: the browser's own start-up is not the page's
// The baseline: the page as rendered, saved as static HTML with its stylesheet inlined.
const rendered = await context.newPage();
await rendered.goto(pageUrl);
await rendered.waitForSelector(`section.card >> nth=${stacks - 1}`);
const css = await Bun.file(`${build.outDir}/assets/${build.css}`).text();
const html = (await rendered.content())
  .replace(/<script[^>]*><\/script>/g, "")
  .replace(/<link rel="stylesheet"[^>]*>/, `<style>${css}</style>`);
await rendered.close();
const staticServer = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => new Response(html, { headers: { "Content-Type": "text/html" } }),
});
const staticUrl = `http://127.0.0.1:${staticServer.port}/`;

const ui: { observed: number; polled: number }[] = [];
const baseline: { observed: number; polled: number }[] = [];
for (let i = 0; i < runs; i++) {
  ui.push(await timeTo(pageUrl));
  baseline.push(await timeTo(staticUrl));
}
const load = (await Bun.file("/proc/loadavg").text()).split(" ")[0];
const line = (xs: number[]) =>
  `median ${median(xs).toFixed(0)} ms (runs: ${xs.map((x) => x.toFixed(0)).join(", ")})`;
console.log(`stacks page, ${stacks} stacks / ${stacks * 6} containers, ${runs} runs, 1-min load ${load}`);
for (const clock of ["observed", "polled"] as const) {
  const u = ui.map((r) => r[clock]);
  const b = baseline.map((r) => r[clock]);
  console.log(`${clock}:`);
  console.log(`  UI:       ${line(u)}`);
  console.log(`  baseline: ${line(b)} (static HTML)`);
  console.log(
    `  ratio ${(median(u) / median(b)).toFixed(2)}; target <= 500 ms: ${median(u) <= 500 ? "met" : "NOT met"}`,
  );
}

await browser.close();
staticServer.stop(true);
for (const agent of agents) await agent.close();
await server.stop();
rmSync(build.outDir, { recursive: true, force: true });
