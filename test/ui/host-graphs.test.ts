// A host card's CPU, memory and disk graphs in a real browser (Debian's chromium through
// playwright-core) against an in-process server with a fake host whose pings carry facts: the card
// reads the host's stats link once whole, then only the new samples (`since`), and draws each series;
// a card out of view reads nothing, nor does a page that was left; no console error and no serious
// accessibility violation (axe). Screenshots go to test-artifacts/ui/.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { RunningServer } from "@corral/server";
import type { UiBuild } from "@corral/ui";
import type { Browser, Page } from "playwright-core";
import { FakeAgent } from "../api/fake-agent.ts";
import { adminClient, expectStatus, hostFacts, startTestServer, until } from "../api/harness.ts";
import { buildForTest, capture, launchBrowser, pixelsOfColour, uiTimeout, watchedPage } from "./browser.ts";

let build: UiBuild;
let server: RunningServer;
let agent: FakeAgent;
let browser: Browser;
let page: Page;
const problems: string[] = [];
const statsRequests: string[] = [];
const wait = { timeout: uiTimeout };
const gib = 1024 ** 3;

/** Facts of a host with 16 GiB of memory and a 100 GiB root disk, use rising with `n`. */
function facts(n: number) {
  return {
    ...hostFacts(),
    cpuLoad: 10 + ((n * 17) % 80),
    memoryTotal: 16 * gib,
    memoryUsed: (4 + (n % 8)) * gib,
    disks: [{ mount: "/", size: 100 * gib, used: (40 + n) * gib }],
  };
}

/** How many points the host card's graph `name` holds now. */
async function points(name: string): Promise<number> {
  return Number(await page.locator(`figure[data-graph="${name}"]`).getAttribute("data-points"));
}

beforeAll(async () => {
  build = await buildForTest();
  server = startTestServer({ uiDir: build.outDir });
  const admin = adminClient(server);
  const base = `/v2-beta/projects/${server.admin.defaultProjectId}`;
  const token = expectStatus(await admin.post(`${base}/registrationtokens`, {}), 201).body.token;
  agent = await FakeAgent.join(server.url, token);
  for (let n = 1; n <= 8; n++) agent.ping(facts(n));
  await until(
    "nine samples (the hello's and eight pings')",
    async () =>
      expectStatus(await admin.get(`${base}/hosts/${agent.hostId}/stats`), 200).body.samples.length === 9,
  );
  browser = await launchBrowser();
  page = await watchedPage(browser, problems);
  page.on("request", (r) => r.url().includes("/stats") && statsRequests.push(r.url()));
});

afterAll(async () => {
  await browser?.close();
  await agent?.close().catch(() => undefined);
  await server?.stop();
  if (build) rmSync(build.outDir, { recursive: true, force: true });
});

describe("a host card's graphs", () => {
  test("show the host's CPU, memory and disk over time, drawn from its stats history", async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel("Username").fill("admin", wait);
    await page.getByLabel("Password").fill(server.admin.password!);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("link", { name: "Hosts" }).click(wait);
    // The anonymous first visit's 401 (and chromium's request for a favicon) are expected.
    problems.length = 0;
    const hostCard = page.locator('section[data-host="fake-host"]');
    const graphs = hostCard.getByTestId("host-graphs");
    const cpu = graphs.locator('figure[data-graph="host-cpu"]');
    const memory = graphs.locator('figure[data-graph="host-memory"]');
    const disk = graphs.locator('figure[data-graph="host-disk"]');
    for (const g of [cpu, memory, disk]) await g.locator("canvas").waitFor(wait);
    // The whole history at once: the hello's sample and the eight pings'.
    for (const name of ["host-cpu", "host-memory", "host-disk"]) expect(await points(name)).toBe(9);
    await cpu.getByText("CPU over time").waitFor(wait);
    await memory.getByText("Memory over time").waitFor(wait);
    await disk.getByText("Disk / over time").waitFor(wait);
    expect(await memory.getByRole("img").getAttribute("aria-label")).toMatch(
      /^Memory in use in GiB, of 16 GiB, over the last minute$/,
    );
    expect(await disk.getByRole("img").getAttribute("aria-label")).toMatch(
      /^Space used on \/ in GiB, of 100 GiB/,
    );
    // The lines are drawn: each canvas holds pixels of its series' colour (axes and grid are grey).
    expect(await pixelsOfColour(cpu.locator("canvas"), [0x1f, 0x6f, 0xeb])).toBeGreaterThan(30);
    expect(await pixelsOfColour(memory.locator("canvas"), [0x82, 0x50, 0xdf])).toBeGreaterThan(30);
    expect(await pixelsOfColour(disk.locator("canvas"), [0x1a, 0x7f, 0x37])).toBeGreaterThan(30);
    expect(await capture(page, "host-graphs")).toEqual([]);
  });

  test("new samples join the graphs while the page is open, read with since", async () => {
    for (let n = 9; n <= 11; n++) agent.ping(facts(n));
    await until("twelve points on each graph", async () => (await points("host-cpu")) === 12, uiTimeout);
    await until("and on the disk graph", async () => (await points("host-disk")) === 12, uiTimeout);
    expect(statsRequests[0]).toEndWith(`/hosts/${agent.hostId}/stats`);
    expect(statsRequests.slice(1).length).toBeGreaterThan(0);
    for (const url of statsRequests.slice(1)) expect(url).toMatch(/\/stats\?since=\d+$/);
    expect(problems).toEqual([]);
  });

  test("a card out of view reads nothing until it is scrolled into view", async () => {
    // A window so short that the card's graphs sit below the fold.
    const short = await browser.newPage({ viewport: { width: 1280, height: 240 } });
    const asked: string[] = [];
    short.on("request", (r) => r.url().includes("/stats") && asked.push(r.url()));
    try {
      await short.goto(`${server.url}/env/${server.admin.defaultProjectId}/hosts`);
      await short.getByLabel("Username").fill("admin", wait);
      await short.getByLabel("Password").fill(server.admin.password!);
      await short.getByRole("button", { name: "Log in" }).click();
      const graphs = short.locator('section[data-host="fake-host"]').getByTestId("host-graphs");
      await graphs.waitFor({ state: "attached", ...wait });
      expect(
        await graphs.evaluate(
          (el) => (el as unknown as { getBoundingClientRect(): { top: number } }).getBoundingClientRect().top,
        ),
      ).toBeGreaterThan(240);
      // More than one polling period (5 s).
      await short.waitForTimeout(6000);
      expect(asked).toEqual([]);
      await graphs.scrollIntoViewIfNeeded();
      await graphs.locator('figure[data-graph="host-cpu"] canvas').waitFor(wait);
      expect(asked.length).toBeGreaterThan(0);
    } finally {
      await short.close();
    }
  });

  test("leaving the page stops the polling", async () => {
    await page.getByRole("link", { name: "Stacks" }).click();
    await page.getByRole("heading", { name: "Stacks" }).waitFor(wait);
    const before = statsRequests.length;
    // More than one polling period (5 s).
    await page.waitForTimeout(6000);
    expect(statsRequests.length).toBe(before);
    expect(problems).toEqual([]);
  });
});
