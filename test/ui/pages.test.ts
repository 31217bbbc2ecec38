// The web UI in a real browser (Debian's chromium through playwright-core) against an in-process
// server with a fake host: log in, the stacks page shows the API's stacks with their services,
// scale and container counts, changes made through the API appear without a reload, the scale
// buttons change the scale, the compose parser's error is shown at its line and column, export,
// containers with filters, details, CPU and memory graphs and streamed logs, host cards with
// gauges and edited labels, "Add host", log out; no console error or CSP violation on the way,
// and no serious accessibility violation (axe) on each page.
// Screenshots go to test-artifacts/ui/.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import type { UiBuild } from "@corral/ui";
import type { Browser, Locator, Page } from "playwright-core";
import { type AutoReply, dockerLike, FakeAgent } from "../api/fake-agent.ts";
import { adminClient, type Client, expectStatus, hostFacts, startTestServer, until } from "../api/harness.ts";
import { buildForTest, capture, launchBrowser, pixelsOfColour, uiTimeout, watchedPage } from "./browser.ts";

let build: UiBuild;
let server: RunningServer;
let admin: Client;
let agent: FakeAgent;
let browser: Browser;
let page: Page;
let base: string;
const problems: string[] = [];

/** Answers like a Docker host, and streams one line for a logs request. */
function withLogs(inner: AutoReply, fake: FakeAgent): AutoReply {
  return (event) => {
    if (event.name !== "instance.logs" || !inner) return inner ? inner(event) : {};
    const { streamId, containerId } = event.data as { streamId: string; containerId: string };
    const name = fake.containers.get(containerId)?.name ?? containerId;
    setTimeout(() => {
      const data = Buffer.from(`hello from ${name}\nsecond line\n`).toString("base64");
      fake.send({ type: "stream", streamId, data });
    }, 50);
    return { streamId };
  };
}

const wait = { timeout: uiTimeout };

/**
 * Replaces the text of a CodeMirror editor as a user would: select all, delete, type (paste-like
 * insertText). Not `fill`: its programmatic selection does not reach into the editor's shadow root.
 */
async function replaceText(editor: Locator, text: string): Promise<void> {
  await editor.click(wait);
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Backspace");
  await page.keyboard.insertText(text);
}
const card = (stack: string) =>
  page.locator("section.card", { has: page.getByRole("link", { name: stack }) });

beforeAll(async () => {
  build = await buildForTest();
  server = startTestServer({ uiDir: build.outDir });
  admin = adminClient(server);
  const pid = server.admin.defaultProjectId;
  base = `/v2-beta/projects/${pid}`;
  const token = expectStatus(await admin.post(`${base}/registrationtokens`, {}), 201).body.token;
  agent = await FakeAgent.join(server.url, token);
  agent.autoReply = withLogs(dockerLike(agent.containers), agent);
  expectStatus(
    await admin.post(`${base}/stacks`, {
      name: "shop",
      dockerCompose: "services:\n  web:\n    image: busybox\n",
      rancherCompose: "services:\n  web:\n    scale: 2\n",
    }),
    201,
  );
  browser = await launchBrowser();
  page = await watchedPage(browser, problems);
});

afterAll(async () => {
  await browser?.close();
  await agent?.close().catch(() => undefined);
  await server?.stop();
  if (build) rmSync(build.outDir, { recursive: true, force: true });
});

describe("the web UI", () => {
  test("an anonymous visit shows the login page; a wrong password is refused, the right one logs in", async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel("Username").fill("admin", wait);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").getByText("Wrong username or password.").waitFor(wait);
    expect(await capture(page, "login")).toEqual([]);
    // The failed login's 401 is logged by chromium as a failed resource: expected here.
    problems.length = 0;
    await page.getByLabel("Password").fill(server.admin.password!);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Stacks" }).waitFor(wait);
    expect(new URL(page.url()).pathname).toBe(`/env/${server.admin.defaultProjectId}/stacks`);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "token")?.httpOnly).toBe(true);
  });

  test("the stacks page shows the stack, its service, scale and container count", async () => {
    const shop = card("shop");
    await shop.waitFor(wait);
    const row = shop.locator('tr[data-service="web"]');
    expect(await row.getByTestId("scale").textContent()).toBe("2");
    await row.locator('[data-testid="container-count"]', { hasText: /^2$/ }).waitFor(wait);
    // The health word is written out (colour is never the only sign) and colours the card's edge.
    await row.locator(".badge-good", { hasText: /^Health: healthy$/ }).waitFor(wait);
    expect(await capture(page, "stacks")).toEqual([]);
  });

  test("a stack and a container created through the API appear without a reload", async () => {
    // A marker on the window: it survives only if nothing reloads the page.
    await page.evaluate("window.marker = 42");
    expectStatus(
      await admin.post(`${base}/stacks`, {
        name: "live",
        dockerCompose: "services:\n  api:\n    image: busybox\n",
      }),
      201,
    );
    await card("live").locator('tr[data-service="api"]').waitFor(wait);
    await page.getByRole("link", { name: "Containers" }).click();
    await page.getByRole("heading", { name: "Containers" }).waitFor(wait);
    expectStatus(await admin.post(`${base}/containers`, { name: "solo", imageUuid: "docker:busybox" }), 201);
    await page.locator('tr[data-container="solo"]').getByText("running").waitFor(wait);
    expect(await page.evaluate("window.marker")).toBe(42);
  });

  test("the scale buttons change the service's scale and its containers follow", async () => {
    await page.getByRole("link", { name: "Stacks" }).click();
    const row = card("shop").locator('tr[data-service="web"]');
    await row.getByRole("button", { name: "Scale web up" }).click(wait);
    await row.locator('[data-testid="container-count"]', { hasText: /^3$/ }).waitFor(wait);
    expect(await row.getByTestId("scale").textContent()).toBe("3");
    const services = (await admin.get(`${base}/services?name=web`)).body.data;
    expect(services.map((s: { scale: number }) => s.scale)).toEqual([3]);
    // From the keyboard: focus the button and press Enter.
    await row.getByRole("button", { name: "Scale web down" }).focus();
    await page.keyboard.press("Enter");
    await row.locator('[data-testid="container-count"]', { hasText: /^2$/ }).waitFor(wait);
    await until(
      "scale 2 in the API",
      async () => (await admin.get(`${base}/services?name=web`)).body.data[0].scale === 2,
      uiTimeout,
    );
  });

  test("the scale's number opens a field: Escape gives up, Enter sets the number typed", async () => {
    const row = card("shop").locator('tr[data-service="web"]');
    const scale = () => admin.get(`${base}/services?name=web`).then((a) => a.body.data[0].scale);
    await row.getByTestId("scale").click(wait);
    const field = row.getByRole("spinbutton", { name: "Scale of web" });
    expect(await field.inputValue()).toBe("2");
    await field.fill("5");
    await field.press("Escape");
    // Back to the number, focused, unchanged.
    await row.getByTestId("scale").and(page.locator(":focus")).waitFor(wait);
    expect(await row.getByTestId("scale").textContent()).toBe("2");
    expect(await scale()).toBe(2);
    await page.keyboard.press("Enter");
    await field.fill("4");
    await field.press("Enter");
    await row.locator('[data-testid="container-count"]', { hasText: /^4$/ }).waitFor(wait);
    expect(await row.getByTestId("scale").textContent()).toBe("4");
    expect(await scale()).toBe(4);
    // Garbage changes nothing: a negative number is not a scale.
    await row.getByTestId("scale").click();
    await field.fill("-1");
    await field.press("Enter");
    expect(await row.getByTestId("scale").textContent()).toBe("4");
    for (const n of ["3", "2"]) {
      await row.getByRole("button", { name: "Scale web down" }).click();
      await row.getByTestId("scale").getByText(n, { exact: true }).waitFor(wait);
    }
    await row.locator('[data-testid="container-count"]', { hasText: /^2$/ }).waitFor(wait);
    expect(await scale()).toBe(2);
  });

  test("a service restarts, stops and starts from its row", async () => {
    const row = card("live").locator('tr[data-service="api"]');
    const state = (value: string) =>
      row.locator(".badge", { hasText: new RegExp(`^State: ${value}$`) }).waitFor(wait);
    await row.getByRole("button", { name: "Restart api" }).click(wait);
    await until(
      "the restart to finish",
      async () => (await admin.get(`${base}/services?name=api`)).body.data[0].state === "active",
      uiTimeout,
    );
    await state("active");
    await row.getByRole("button", { name: "Stop api" }).click(wait);
    await state("inactive");
    await row.getByRole("button", { name: "Start api" }).click(wait);
    await state("active");
    expect(await row.getByRole("alert").count()).toBe(0);
  });

  test("a YAML syntax error shows at its line and column before submit, in the CodeMirror editor", async () => {
    await page.getByRole("link", { name: "Add stack" }).click();
    await page.getByLabel("Name").fill("broken", wait);
    // The editor chunk loads on demand; it replaces the plain textarea.
    await page.locator('.yaml-editor[data-file="docker-compose.yml"] .cm-content').waitFor(wait);
    const editor = page.getByLabel("docker-compose.yml", { exact: true });
    await replaceText(editor, "services:\n  web:\n    image: [busybox\n");
    // Found in the browser while typing: nothing was sent.
    const issue = page.getByRole("button", { name: "docker-compose.yml:4:1" });
    await issue.waitFor(wait);
    await page
      .getByText(/YAML syntax/)
      .first()
      .waitFor(wait);
    // The mark under the problem (a zero-width point here: drawn by CSS, so "attached", not visible).
    await page
      .locator(".cm-lintPoint-error, .cm-lintRange-error")
      .first()
      .waitFor({ state: "attached", ...wait });
    expect(await capture(page, "compose-error")).toEqual([]);
    const posted: string[] = [];
    page.on("request", (r) => r.method() === "POST" && posted.push(r.url()));
    await page.getByRole("button", { name: "Create" }).click();
    expect(await page.evaluate("document.activeElement.id")).toBe("compose-docker");
    await issue.click();
    expect(await page.evaluate("document.activeElement.id")).toBe("compose-docker");
    // What the compose model refuses (valid YAML) is the server's answer, at its line and column.
    await replaceText(editor, "- web\n- db\n");
    await issue.waitFor({ state: "detached", ...wait });
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("button", { name: "docker-compose.yml:1:1" }).waitFor(wait);
    await page.getByText(/must be a mapping of services/).waitFor(wait);
    expect(posted.length).toBe(1);
    // The 422 answer is logged by chromium as a failed resource: expected here.
    problems.length = 0;
    expect((await admin.get(`${base}/stacks?name=broken`)).body.data).toEqual([]);
  });

  test("a good compose file creates the stack, and its export shows the files", async () => {
    await replaceText(
      page.getByLabel("docker-compose.yml", { exact: true }),
      "services:\n  cache:\n    image: busybox\n",
    );
    // rancher-compose.yml uploaded from a file rather than pasted.
    await page.getByLabel("Load rancher-compose.yml from a file").setInputFiles({
      name: "rancher-compose.yml",
      mimeType: "text/yaml",
      buffer: Buffer.from("services:\n  cache:\n    scale: 2\n"),
    });
    await page
      .getByLabel("rancher-compose.yml (optional)")
      .getByText(/scale: 2/)
      .waitFor(wait);
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: /Stack broken/ }).waitFor(wait);
    await page.getByRole("button", { name: "Export config" }).click();
    const exported = page.getByTestId("docker-compose.yml");
    await exported.getByText(/image: busybox/).waitFor(wait);
    await page
      .getByTestId("rancher-compose.yml")
      .getByText(/scale: 2/)
      .waitFor(wait);
    const download = page.waitForEvent("download", wait);
    await page.getByRole("button", { name: "Download docker-compose.yml" }).click();
    expect((await download).suggestedFilename()).toBe("docker-compose.yml");
    expect(await capture(page, "stack-export")).toEqual([]);
  });

  test("a stack upgrades from its edited compose files, then finishes; a service upgrade rolls back", async () => {
    const stackUrl = page.url();
    await page.getByRole("link", { name: "Upgrade", exact: true }).click();
    await page.getByRole("heading", { name: "Upgrade stack broken" }).waitFor(wait);
    const editor = page.getByLabel("docker-compose.yml", { exact: true });
    await page.locator('.yaml-editor[data-file="docker-compose.yml"] .cm-content').waitFor(wait);
    await editor.getByText(/image: busybox/).waitFor(wait);
    await replaceText(editor, "services:\n  cache:\n    image: busybox:1.36\n");
    expect(await capture(page, "stack-upgrade")).toEqual([]);
    await page.getByRole("button", { name: "Upgrade" }).click();
    await page.waitForURL(stackUrl, wait);
    await page.getByRole("button", { name: "Finish upgrade broken" }).click(wait);
    await page.locator("h1 .badge", { hasText: /^State: active$/ }).waitFor(wait);
    const cache = (await admin.get(`${base}/services?name=cache`)).body.data[0];
    expect(cache.launchConfig.imageUuid).toBe("docker:busybox:1.36");

    // The service's launch configuration as a form: image, environment, labels, scheduling, health.
    await page.getByRole("link", { name: "Upgrade cache" }).click(wait);
    await page.getByRole("heading", { name: "Upgrade service cache" }).waitFor(wait);
    await page.getByLabel("Image").fill("busybox:1.37");
    await page.getByLabel("Environment variables").fill("MODE=fast\nNOEQUALS");
    await page.getByRole("button", { name: "Upgrade" }).click();
    await page
      .getByRole("alert")
      .getByText(/NOEQUALS" is not KEY=VALUE/)
      .waitFor(wait);
    expect(await page.evaluate("document.activeElement.id")).toBe("lc-environment");
    await page.getByLabel("Environment variables").fill("MODE=fast");
    await page.getByLabel("Scheduling rules").fill("io.rancher.scheduler.affinity:host_label=zone=a");
    await page.getByLabel("Health check port").fill("80");
    expect(await capture(page, "service-upgrade")).toEqual([]);
    await page.getByRole("button", { name: "Upgrade" }).click();
    await page.waitForURL(stackUrl, wait);
    const upgraded = (await admin.get(`${base}/services?name=cache`)).body.data[0];
    expect(upgraded.launchConfig.imageUuid).toBe("docker:busybox:1.37");
    expect(upgraded.launchConfig.environment).toEqual({ MODE: "fast" });
    expect(upgraded.launchConfig.labels["io.rancher.scheduler.affinity:host_label"]).toBe("zone=a");
    expect(upgraded.launchConfig.healthCheck.port).toBe(80);
    await page.getByRole("button", { name: "Roll back cache" }).click(wait);
    await until(
      "the rollback to end active",
      async () => {
        const svc = (await admin.get(`${base}/services?name=cache`)).body.data[0];
        // The old unit the upgrade was still stopping (draining) runs again, so the rollback ends.
        return svc.state === "active" && svc.launchConfig.imageUuid === "docker:busybox:1.36";
      },
      uiTimeout,
    );
  });

  test("a stack is removed from its page", async () => {
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Remove", exact: true }).click();
    await page.getByRole("heading", { name: "Stacks" }).waitFor(wait);
    await card("broken").waitFor({ state: "detached", ...wait });
  });

  test("a certificate uploads from PEM files and shows its name and expiry; it is removed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-ui-cert-"));
    const [crt, key] = [join(dir, "shop.crt"), join(dir, "shop.key")];
    const made = Bun.spawnSync(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        crt,
        "-days",
        "90",
      ].concat([
        "-subj",
        "/CN=shop.example",
        "-addext",
        "subjectAltName=DNS:shop.example,DNS:www.shop.example",
      ]),
    );
    expect(made.exitCode).toBe(0);
    await page.getByRole("link", { name: "Certificates" }).click();
    await page.getByRole("heading", { name: "Certificates" }).waitFor(wait);
    await page.getByLabel("Name", { exact: true }).fill("shop", wait);
    await page.getByLabel("Load Certificate (PEM) from a file").setInputFiles(crt);
    await page.getByLabel("Load Private key (PEM) from a file").setInputFiles(key);
    for (const label of ["Certificate (PEM)", "Private key (PEM)"])
      await until(
        `the ${label} file in its field`,
        async () => (await page.getByLabel(label, { exact: true }).inputValue()).includes("-----BEGIN"),
        uiTimeout,
      );
    await page.getByRole("button", { name: "Upload" }).click();
    const row = page.locator('tr[data-certificate="shop"]');
    await row.getByText("www.shop.example").waitFor(wait);
    await row
      .getByTestId("expires")
      .getByText(/in 8\d days/)
      .waitFor(wait);
    expect(await capture(page, "certificates")).toEqual([]);
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Remove shop" }).click();
    await row.waitFor({ state: "detached", ...wait });
    rmSync(dir, { recursive: true, force: true });
  });

  test("a load balancer's port rules are edited: host, path, port, target service and port", async () => {
    const shop = (await admin.get(`${base}/stacks?name=shop`)).body.data[0];
    const web = (await admin.get(`${base}/services?name=web`)).body.data[0];
    const lb = expectStatus(
      await admin.post(`${base}/services`, {
        name: "lb",
        stackId: shop.id,
        kind: "loadBalancerService",
        startOnCreate: false,
        lbConfig: { portRules: [] },
      }),
      201,
    ).body;
    await page.getByRole("link", { name: "Stacks" }).click();
    await page.getByRole("link", { name: "Port rules of lb" }).click(wait);
    await page.getByRole("heading", { name: "Port rules of lb" }).waitFor(wait);
    await page.getByRole("button", { name: "Add rule" }).click();
    await page.getByLabel("Rule 1 host").fill("bad host");
    await page.getByLabel("Rule 1 path").fill("/shop");
    await page.getByLabel("Rule 1 port").fill("8081");
    await page.getByLabel("Rule 1 target service").selectOption({ label: "web" });
    await page.getByLabel("Rule 1 target port").fill("80");
    await page.getByRole("button", { name: "Save rules" }).click();
    // The server's check of the rule is shown as it is, and nothing is lost from the form.
    await page
      .getByRole("alert")
      .getByText(/hostname "bad host"/)
      .waitFor(wait);
    problems.length = 0;
    await page.getByLabel("Rule 1 host").fill("shop.example");
    expect(await capture(page, "lb-rules")).toEqual([]);
    await page.getByRole("button", { name: "Save rules" }).click();
    await page.getByRole("heading", { name: /Stack shop/ }).waitFor(wait);
    const saved = (await admin.get(`${base}/services/${lb.id}`)).body.lbConfig.portRules;
    expect(saved).toEqual([
      expect.objectContaining({
        hostname: "shop.example",
        path: "/shop",
        sourcePort: 8081,
        protocol: "http",
        serviceId: web.id,
        targetPort: 80,
      }),
    ]);
  });

  test("containers filter by name, and a container's page streams its logs", async () => {
    await page.getByRole("link", { name: "Containers" }).click();
    await page.getByRole("searchbox", { name: "Search" }).fill("solo", wait);
    await until("one row", async () => (await page.locator("tbody tr").count()) === 1, uiTimeout);
    await page.getByRole("link", { name: "solo" }).click();
    await page.getByRole("heading", { name: /Container solo/ }).waitFor(wait);
    await page.getByRole("button", { name: "Show logs" }).click();
    await page
      .getByTestId("logs")
      .getByText(/hello from solo/)
      .waitFor(wait);
    expect(await capture(page, "container-logs")).toEqual([]);
  });

  test("a running container's page graphs its CPU and memory from a stats sample every 2 s, until it closes", async () => {
    // Still on solo's page. The fake agent's samples move from one to the next (test/api/fake-agent.ts).
    const cpu = page.locator('figure[data-graph="cpu"]');
    const memory = page.locator('figure[data-graph="memory"]');
    await cpu.locator("canvas").waitFor(wait);
    await memory.locator("canvas").waitFor(wait);
    await until(
      "three samples on each graph",
      async () => {
        const points = await Promise.all([cpu, memory].map((g) => g.getAttribute("data-points")));
        return points.every((p) => Number(p) >= 3);
      },
      uiTimeout,
    );
    await memory.getByText(/^Memory \d+ MiB of 512 MiB$/).waitFor(wait);
    await cpu.getByText(/^CPU \d+\.\d %$/).waitFor(wait);
    // The lines are drawn: the canvases hold pixels of each series' colour (axes and grid are grey).
    expect(await pixelsOfColour(cpu.locator("canvas"), [0x1f, 0x6f, 0xeb])).toBeGreaterThan(30);
    expect(await pixelsOfColour(memory.locator("canvas"), [0x82, 0x50, 0xdf])).toBeGreaterThan(30);
    expect(await capture(page, "container-stats")).toEqual([]);
    // Closing the page stops the polling: no stats request in the next three periods.
    const asked: string[] = [];
    const onRequest = (r: { url(): string }) => r.url().endsWith("/stats") && asked.push(r.url());
    await page.getByRole("link", { name: "Containers" }).click();
    await page.getByRole("heading", { name: "Containers" }).waitFor(wait);
    page.on("request", onRequest);
    await page.waitForTimeout(6000);
    page.off("request", onRequest);
    expect(asked).toEqual([]);
  });

  test("a host's labels are added, changed and removed on its card; a refused label is shown at its row and saves nothing", async () => {
    const hostPath = `${base}/hosts/${agent.hostId}`;
    expectStatus(await admin.put(hostPath, { labels: { zone: "a", old: "x" } }), 200);
    // A disk in the agent's pings: the server keeps new facts at most every 30 s after the hello.
    const disk = { mount: "/", size: 10 * 1024 ** 3, used: 4 * 1024 ** 3 };
    // A CorralOS host whose last upgrade was rolled back by its boot gate.
    const corralOs = {
      version: "0.2.0",
      slot: "B" as const,
      bootId: "b1",
      installed: true,
      otherSlot: { slot: "A" as const, version: "0.3.0" },
      trial: null,
      lastBoot: {
        outcome: "rolled-back" as const,
        slot: "B" as const,
        version: "0.2.0",
        at: "2026-12-02T10:00:00Z",
        reason: "slot A (0.3.0) failed: user-docker: starting",
      },
    };
    await until(
      "the host's disk in the API",
      async () => {
        agent.ping({ ...hostFacts(), disks: [disk], corralOs });
        return (await admin.get(hostPath)).body.info.disks.length === 1;
      },
      45_000,
      500,
    );
    await page.getByRole("link", { name: "Hosts" }).click();
    const hostCard = page.locator('section[data-host="fake-host"]');
    await hostCard.getByText("old=x").waitFor(wait);
    // The host's latest facts as gauges (the fake agent reports 512 B of 1 KiB and 0.1 % CPU); its
    // graphs beside them are tested in host-graphs.test.ts.
    const usage = hostCard.getByTestId("host-usage");
    expect(await usage.getByLabel("Memory").getAttribute("value")).toBe("512");
    await usage.getByText("512 B of 1 KiB").waitFor(wait);
    await usage.getByText("0.1 %").waitFor(wait);
    expect(await usage.getByLabel("Disk /").getAttribute("max")).toBe(String(disk.size));
    await usage.getByText("4.0 GiB of 10.0 GiB").waitFor(wait);
    await hostCard.getByText("CorralOS 0.2.0 (slot B) · slot A: 0.3.0").waitFor(wait);
    await hostCard
      .getByText("Last upgrade rolled-back: slot A (0.3.0) failed: user-docker: starting")
      .waitFor(wait);
    // Upgrade OS posts the host's osupgrade: the rollout's state shows on the card.
    await hostCard.getByLabel("OS version for fake-host").fill("0.3.1");
    await hostCard.getByRole("button", { name: "Upgrade OS" }).click();
    await hostCard.getByText(/^OS upgrade to 0\.3\.1: /).waitFor(wait);
    expect((await admin.get(hostPath)).body.osUpgrade.target).toBe("0.3.1");
    await hostCard.getByRole("button", { name: "Edit labels of fake-host" }).click();
    const form = hostCard.getByRole("form", { name: "Labels of fake-host" });
    expect(await form.getByLabel("Label 1 key").inputValue()).toBe("zone");
    await form.getByLabel("Label 1 value").fill("b");
    await form.getByRole("button", { name: "Remove label 2" }).click();
    await form.getByRole("button", { name: "Add label" }).click();
    await form.getByLabel("Label 2 key").fill("disk");
    await form.getByLabel("Label 2 value").fill("ssd");
    await form.getByRole("button", { name: "Save labels" }).click();
    await hostCard.getByText("disk=ssd").waitFor(wait);
    expect((await admin.get(hostPath)).body.labels).toEqual({ zone: "b", disk: "ssd" });

    // One change the server accepts and one it refuses, in one save: neither is kept.
    await hostCard.getByRole("button", { name: "Edit labels of fake-host" }).click();
    await form.getByLabel("Label 1 value").fill("c");
    await form.getByRole("button", { name: "Add label" }).click();
    await form.getByLabel("Label 3 key").fill("note");
    await form.getByLabel("Label 3 value").fill("n".repeat(4097));
    await form.getByRole("button", { name: "Save labels" }).click();
    await form
      .getByRole("alert")
      .getByText(/Labels not saved: labels\.note:/)
      .waitFor(wait);
    const refused = form.getByLabel("Label 3 value");
    expect(await refused.getAttribute("aria-invalid")).toBe("true");
    const at = await refused.getAttribute("aria-describedby");
    expect(await form.locator(`[id="${at}"]`).textContent()).toMatch(/4096/);
    expect(await form.getByLabel("Label 1 value").getAttribute("aria-invalid")).toBeNull();
    expect((await admin.get(hostPath)).body.labels).toEqual({ zone: "b", disk: "ssd" });
    // The 422 answer is logged by chromium as a failed resource: expected here.
    problems.length = 0;
    expect(await capture(page, "host-labels")).toEqual([]);
    await form.getByRole("button", { name: "Cancel" }).click();
    await hostCard.getByText("zone=b").waitFor(wait);
  });

  test("the hosts page has a card per host with its containers and actions; Add host shows the command", async () => {
    await page.getByRole("link", { name: "Hosts" }).click();
    const hostCard = page.locator('section[data-host="fake-host"]');
    await hostCard.getByRole("link", { name: "solo" }).waitFor(wait);
    await hostCard.getByRole("button", { name: "Deactivate fake-host" }).click(wait);
    await hostCard.locator(".badge", { hasText: /^State: inactive$/ }).waitFor(wait);
    await hostCard.getByRole("button", { name: "Activate fake-host" }).click(wait);
    await hostCard.locator(".badge", { hasText: /^State: active$/ }).waitFor(wait);
    // The IPsec tunnels as the agent reports them in its pings: shown live, a down one with its reason.
    const tunnels = hostCard.getByTestId("ipsec");
    agent.ipsec = { dataPlane: "userspace", peers: [] };
    await tunnels.getByText("IPsec: no other host to reach (userspace data plane)").waitFor(wait);
    agent.ipsec = {
      dataPlane: "kernel",
      peers: [
        { hostId: "1h90", agentIp: "10.9.0.2", state: "up", bytesIn: 3 * 1024 * 1024, bytesOut: 2048 },
        {
          hostId: "1h91",
          agentIp: "10.9.0.3",
          state: "down",
          reason: "peer refused our key",
          bytesIn: 0,
          bytesOut: 0,
        },
      ],
    };
    await tunnels.getByText("IPsec: 1 of 2 tunnels up (kernel data plane)").waitFor(wait);
    expect(await tunnels.locator('[data-peer="1h90"]').textContent()).toBe(
      "to 10.9.0.2 Tunnel: up 3 MiB in · 2 KiB out",
    );
    expect(await tunnels.locator('[data-peer="1h91"]').textContent()).toBe(
      "to 10.9.0.3 Tunnel: down peer refused our key",
    );
    agent.ipsec.peers[1] = { ...agent.ipsec.peers[1]!, state: "up", reason: undefined };
    await tunnels.getByText("IPsec: 2 of 2 tunnels up (kernel data plane)").waitFor(wait);
    expect(await capture(page, "hosts")).toEqual([]);
    await page.getByRole("link", { name: "Add host" }).click();
    await page
      .getByTestId("registration-command")
      .getByText(/\/v2-beta\/scripts\//)
      .waitFor(wait);
    expect(await capture(page, "add-host")).toEqual([]);
  });

  test("the environment switcher shows the user's environments and moves to the chosen one", async () => {
    const other = expectStatus(await admin.post("/v2-beta/projects", { name: "Staging" }), 201).body;
    await page.evaluate("window.marker = 43");
    // The switcher reads the environments again when it gets focus: no reload needed.
    const switcher = page.getByRole("combobox", { name: "Environment" });
    await switcher.focus();
    await switcher.locator("option", { hasText: "Staging" }).waitFor({ state: "attached", ...wait });
    await switcher.selectOption({ label: "Staging" }, wait);
    await page.getByText("No stacks yet").waitFor(wait);
    expect(new URL(page.url()).pathname).toBe(`/env/${other.id}/stacks`);
    await switcher.selectOption({ label: "Default" });
    await card("shop").waitFor(wait);
    expect(await page.evaluate("window.marker")).toBe(43);
  });

  test("log out ends the session and shows the login page", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Log in" }).waitFor(wait);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "token")).toBeUndefined();
    expect(problems).toEqual([]);
  });

  test("hashed assets are kept for a year, the page is revalidated", async () => {
    const js = await fetch(`${server.url}/assets/${build.js}`);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(js.headers.get("content-type")).toStartWith("text/javascript");
    await js.arrayBuffer();
    const index = await fetch(`${server.url}/`);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(await index.text()).toContain(`/assets/${build.js}`);
  });

  test("the JavaScript a first load downloads fits the 150 KB gzipped budget", () => {
    console.log(`[ui] first-load JavaScript: ${(build.jsGzipBytes / 1024).toFixed(1)} KiB gzipped`);
    expect(build.jsGzipBytes).toBeLessThanOrEqual(150 * 1024);
  });
});
