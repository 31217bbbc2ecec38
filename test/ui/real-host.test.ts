// The web UI end to end against a real host: a server with a joined agent process on this machine's
// Docker engine, driven in Debian's chromium as a user would. A stack pasted into the editor runs
// as real containers (a web service, a worker, a load balancer); the scale button adds one Docker
// starts; a container made through the API (as the CLI would) appears without a reload, on the
// host card too; a container's logs show the line it printed; a port rule edited in the UI is what
// HAProxy serves (reached with fetch); a service upgrade is served, then rolled back; an
// environment key works until it is revoked. The shell has its own file (shell.test.ts).
// Screenshots go to test-artifacts/ui/real-*.png (the README's come from here:
// scripts/readme-screenshots.sh).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { UiBuild } from "@corral/ui";
import type { Browser, Locator, Page } from "playwright-core";
import {
  docker,
  type Env,
  freePort,
  removeDockerLeftovers,
  sleepCommand,
  startEnv,
  testImage,
  uniqueName,
} from "../e2e/harness.ts";
import { buildForTest, capture, launchBrowser, screenshot, uiTimeout, watchedPage } from "./browser.ts";

let build: UiBuild;
let env: Env;
let browser: Browser;
let page: Page;
const stack = uniqueName("shop");
const lbPort = freePort();
const problems: string[] = [];
const wait = { timeout: uiTimeout };

beforeAll(async () => {
  build = await buildForTest();
  env = await startEnv({ uiDir: build.outDir });
  browser = await launchBrowser();
  page = await watchedPage(browser, problems, { height: 800, responses: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await env?.stop();
  await removeDockerLeftovers();
  if (build) rmSync(build.outDir, { recursive: true, force: true });
}, 60_000);

/** Replaces a CodeMirror editor's text as a user would (select all, delete, paste). */
async function replaceText(editor: Locator, text: string): Promise<void> {
  await editor.click(wait);
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Backspace");
  await page.keyboard.insertText(text);
}

/** The names of the running Docker containers of one of the stack's services. */
async function running(service: string): Promise<string[]> {
  const ps = await docker(
    "ps",
    "--filter",
    `label=io.rancher.stack_service.name=${stack}/${service}`,
    "--format",
    "{{.Names}}",
  );
  return ps.stdout.split("\n").filter(Boolean);
}

/** Waits until Docker runs `n` containers of the service. */
async function untilRunning(service: string, n: number): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const names = await running(service);
    if (names.length === n) return names;
    if (Date.now() > deadline) throw new Error(`Docker runs ${names.length} of ${service}, not ${n}`);
    await Bun.sleep(250);
  }
}

// web serves its name and VERSION over HTTP; worker prints a line; lb publishes one port.
const dockerCompose = `services:
  web:
    image: ${testImage}
    command: sh -c 'echo "$$HOSTNAME $$VERSION" > /www/index.html; exec httpd -f -p 80 -h /www'
    environment:
      VERSION: v1
  worker:
    image: ${testImage}
    command: sh -c 'echo hello from the worker; trap "exit 0" TERM; sleep 3600 & wait'
  lb:
    image: rancher/lb-service-haproxy
    ports: ["${lbPort}:${lbPort}"]
`;
const rancherCompose = `services:
  web:
    scale: 2
  lb:
    lb_config:
      port_rules:
      - source_port: ${lbPort}
        target_port: 80
        service: web
        hostname: old.example
`;

/** One request through the balancer for `host`: its status and body. */
async function throughLb(host: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${lbPort}/`, { headers: { Host: host } });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    return { status: 0, body: String(e) };
  }
}

/** Waits until `check` passes, saying what was awaited and what was seen last when it never does. */
async function until<T>(what: string, check: () => Promise<T | null | false>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const got = await check();
      if (got) return got;
      last = got;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`never: ${what} (last: ${String(last)})`);
    await Bun.sleep(250);
  }
}

/** The API's view of one of the stack's services. */
async function service(name: string) {
  const r = await env.api.request("GET", env.api.project(`/services?name=${name}`));
  return r.body.data.find((s: { state: string }) => s.state !== "removed");
}

const row = (service: string) =>
  page
    .locator("section.card", { has: page.getByRole("link", { name: stack }) })
    .locator(`tr[data-service="${service}"]`);

describe("the web UI on a real host", () => {
  test("log in, add a stack from the editor: its containers run in Docker", async () => {
    await page.goto(`${env.server.url}/`);
    await page.getByLabel("Username").fill("admin", wait);
    await page.getByLabel("Password").fill(env.server.admin.password!);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Stacks" }).waitFor(wait);
    // Before logging in, the session check's 401 (and the icon's 404) are logged by chromium.
    problems.length = 0;
    await page.getByRole("link", { name: "Add stack" }).click();
    await page.getByLabel("Name").fill(stack, wait);
    await page.locator('.yaml-editor[data-file="docker-compose.yml"] .cm-content').waitFor(wait);
    await replaceText(page.getByLabel("docker-compose.yml", { exact: true }), dockerCompose);
    await replaceText(page.getByLabel("rancher-compose.yml (optional)"), rancherCompose);
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: new RegExp(`Stack ${stack}`) }).waitFor(wait);
    await page.getByRole("link", { name: "Stacks" }).click();
    await row("web")
      .locator('[data-testid="container-count"]', { hasText: /^2$/ })
      .waitFor({ timeout: 60_000 });
    await row("worker").locator('[data-testid="container-count"]', { hasText: /^1$/ }).waitFor(wait);
    await row("lb").locator('[data-testid="container-count"]', { hasText: /^1$/ }).waitFor(wait);
    expect(await untilRunning("web", 2)).toHaveLength(2);
    expect(await untilRunning("worker", 1)).toHaveLength(1);
    expect(await untilRunning("lb", 1)).toHaveLength(1);
  }, 120_000);

  test("scale up with + starts one more container in Docker, shown without a reload", async () => {
    await page.evaluate("window.marker = 42");
    await row("web").getByRole("button", { name: "Scale web up" }).click(wait);
    await row("web")
      .locator('[data-testid="container-count"]', { hasText: /^3$/ })
      .waitFor({ timeout: 60_000 });
    expect(await untilRunning("web", 3)).toHaveLength(3);
    await row("web")
      .locator(".badge-good", { hasText: /healthy|active/ })
      .first()
      .waitFor(wait);
    expect(await capture(page, "real-stacks")).toEqual([]);
    await screenshot(page, "readme-stacks", false);
    expect(await page.evaluate("window.marker")).toBe(42);
  }, 120_000);

  test("a container made through the API appears on the containers page and the host card", async () => {
    const name = uniqueName("solo");
    await page.getByRole("link", { name: "Containers" }).click();
    await page.getByRole("heading", { name: "Containers" }).waitFor(wait);
    const made = await env.api.createContainer({
      name,
      imageUuid: `docker:${testImage}`,
      command: sleepCommand,
    });
    await page.locator(`tr[data-container="${name}"]`).getByText("running").waitFor({ timeout: 60_000 });
    expect((await docker("inspect", "-f", "{{.State.Running}}", name)).stdout).toBe("true");
    await page.getByRole("link", { name: "Hosts" }).click();
    await page.getByRole("heading", { name: "Hosts" }).waitFor(wait);
    const host = (await env.api.hosts())[0]!;
    const hostCard = page.locator(`section.card.host[data-host="${host.hostname}"]`);
    await hostCard.getByRole("link", { name }).waitFor(wait);
    // The stack's four containers and this one, all on the one real host.
    await hostCard.getByText(/^[5-9] containers$/).waitFor(wait);
    expect(await capture(page, "real-hosts")).toEqual([]);
    await screenshot(page, "readme-hosts", false);
    await hostCard.getByRole("link", { name }).click();
    await page.getByRole("heading", { name: new RegExp(`Container ${name}`) }).waitFor(wait);
    expect(await capture(page, "real-container")).toEqual([]);
    expect(made.id).toBeTruthy();
    expect(problems).toEqual([]);
  }, 120_000);
  test("a worker container's page streams the line it printed", async () => {
    await page.getByRole("link", { name: "Containers" }).click();
    await page.getByRole("heading", { name: "Containers" }).waitFor(wait);
    const [worker] = await untilRunning("worker", 1);
    await page.getByRole("link", { name: worker! }).click(wait);
    await page.getByRole("heading", { name: new RegExp(`Container ${worker}`) }).waitFor(wait);
    await page.getByRole("button", { name: "Show logs" }).click();
    await page
      .getByTestId("logs")
      .getByText(/hello from the worker/)
      .waitFor(wait);
    expect(await capture(page, "real-logs")).toEqual([]);
  }, 60_000);

  test("a port rule edited in the UI is what HAProxy serves", async () => {
    const served = await until("the balancer serving old.example", async () => {
      const r = await throughLb("old.example");
      return r.status === 200 && r.body.includes("v1") ? r : null;
    });
    expect(served.body).toMatch(/v1/);
    await page.getByRole("link", { name: "Stacks" }).click();
    await page.getByRole("link", { name: "Port rules of lb" }).click(wait);
    await page.getByRole("heading", { name: "Port rules of lb" }).waitFor(wait);
    await page.getByLabel("Rule 1 host").fill("shop.example");
    await page.getByRole("button", { name: "Save rules" }).click();
    // Saved, the stack's page shows; refused, the server's reason shows on the form (said here).
    const stackPage = page.getByRole("heading", { name: new RegExp(`Stack ${stack}`) });
    await stackPage.or(page.getByRole("alert")).first().waitFor(wait);
    if (!(await stackPage.isVisible()))
      throw new Error(`the rules were not saved: ${await page.getByRole("alert").first().textContent()}`);
    await until("shop.example served", async () => (await throughLb("shop.example")).status === 200);
    // The old name is no longer a rule: HAProxy has no backend for it.
    expect((await throughLb("old.example")).status).toBe(503);
  }, 120_000);

  test("a service upgrade from its form is served, then rolled back", async () => {
    await page.getByRole("link", { name: "Stacks" }).click();
    await page.getByRole("link", { name: "Upgrade web" }).click(wait);
    await page.getByRole("heading", { name: "Upgrade service web" }).waitFor(wait);
    await page.getByLabel("Environment variables").fill("VERSION=v2");
    await page.getByRole("button", { name: "Upgrade" }).click();
    await page.getByRole("heading", { name: new RegExp(`Stack ${stack}`) }).waitFor(wait);
    await until("v2 served through the balancer", async () => {
      const r = await throughLb("shop.example");
      return r.status === 200 && r.body.includes("v2");
    });
    await until("web upgraded", async () => (await service("web"))?.state === "upgraded");
    await page.getByRole("button", { name: "Roll back web" }).click(wait);
    await until("web active again on v1", async () => {
      const s = await service("web");
      return s?.state === "active" && s.launchConfig.environment?.VERSION === "v1";
    });
    await until("v1 served again", async () => {
      const r = await throughLb("shop.example");
      return r.status === 200 && r.body.includes("v1");
    });
    const envs = await Promise.all(
      (await untilRunning("web", 3)).map(
        async (n) => (await docker("inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}", n)).stdout,
      ),
    );
    for (const e of envs) expect(e).toContain("VERSION=v1");
  }, 180_000);

  test("an environment key made in the UI works until it is revoked", async () => {
    await page.getByRole("link", { name: "API keys" }).click();
    const section = page.getByRole("region", { name: "Environment keys" });
    await section.getByLabel("Name").fill("deploy", wait);
    await section.getByRole("button", { name: "Create key" }).click();
    const access = (await section.getByTestId("access-key").textContent(wait))!;
    const secret = (await section.getByTestId("secret-key").textContent())!;
    const stacks = `${env.server.url}${env.api.project("/stacks")}`;
    const withKey = async () => {
      const res = await fetch(stacks, { headers: { Authorization: `Basic ${btoa(`${access}:${secret}`)}` } });
      await res.arrayBuffer();
      return res.status;
    };
    expect(await withKey()).toBe(200);
    const keyRow = section.locator(`tr[data-key="${access}"]`);
    await keyRow.getByRole("button", { name: "Revoke deploy" }).click(wait);
    await keyRow.locator(".badge", { hasText: /^State: inactive$/ }).waitFor(wait);
    expect(await withKey()).toBe(401);
    expect(problems).toEqual([]);
  }, 60_000);
});
