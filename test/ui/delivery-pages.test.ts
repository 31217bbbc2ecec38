// The delivery pages of the web UI in a real browser (Debian's chromium through playwright-core)
// against an in-process server with a fake agent: registries added with their credential in one
// form (the password never shown back; a refused credential leaves no registry behind), secrets
// added from typed text (the value never shown back, sent as base64), webhook receivers made with
// their trigger URL shown once, triggered with a POST to that URL (the service scales), and
// removed. Garbage in each form gets the server's message and writes nothing. No console error,
// no serious accessibility violation (axe). Screenshots go to test-artifacts/ui/.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { RunningServer } from "@corral/server";
import type { UiBuild } from "@corral/ui";
import type { Browser, Page } from "playwright-core";
import { FakeAgent } from "../api/fake-agent.ts";
import { adminClient, type Client, expectStatus, startTestServer, until } from "../api/harness.ts";
import { buildForTest, capture, launchBrowser, uiTimeout, watchedPage } from "./browser.ts";

let build: UiBuild;
let server: RunningServer;
let admin: Client;
let agent: FakeAgent;
let browser: Browser;
let page: Page;
let base: string;
const problems: string[] = [];
const wait = { timeout: uiTimeout };

/** Drops the console's report of the 4xx answers a test provoked on purpose (bad input). */
function forgetRefusals(): void {
  for (let i = problems.length - 1; i >= 0; i--)
    if (/status of 4\d\d/.test(problems[i]!)) problems.splice(i, 1);
}

/** The rows of a project collection that are not removed. */
async function live(collection: string): Promise<Record<string, unknown>[]> {
  const rows = expectStatus(await admin.get(`${base}/${collection}?limit=-2`), 200).body.data;
  return rows.filter((r: { state: string }) => r.state !== "removed" && r.state !== "purged");
}

beforeAll(async () => {
  build = await buildForTest();
  server = startTestServer({ uiDir: build.outDir });
  admin = adminClient(server);
  base = `/v2-beta/projects/${server.admin.defaultProjectId}`;
  const token = expectStatus(await admin.post(`${base}/registrationtokens`, {}), 201).body.token;
  agent = await FakeAgent.join(server.url, token);
  expectStatus(
    await admin.post(`${base}/stacks`, {
      name: "shop",
      dockerCompose: "services:\n  web:\n    image: busybox\n",
    }),
    201,
  );
  browser = await launchBrowser();
  page = await watchedPage(browser, problems);
  page.on("dialog", (d) => void d.accept());
  await page.goto(`${server.url}/`);
  await page.getByLabel("Username").fill("admin", wait);
  await page.getByLabel("Password").fill(server.admin.password!);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Stacks" }).waitFor(wait);
  // The anonymous first load's 401 (which shows the login page) and the icon's 404.
  problems.length = 0;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await agent?.close().catch(() => undefined);
  await server?.stop();
  if (build) rmSync(build.outDir, { recursive: true, force: true });
});

describe("the delivery pages", () => {
  test("a registry is added with its credential; the password is never shown back; removed", async () => {
    const password = `pw-${crypto.randomUUID()}`;
    await page.getByRole("link", { name: "Registries" }).click();
    await page.getByRole("heading", { name: "Registries" }).waitFor(wait);
    await page.getByLabel("Address").fill("registry.test:5000", wait);
    await page.getByLabel("User name").fill("ci-bot");
    await page.getByLabel("Password").fill(password);
    await page.getByLabel("Email (optional)").fill("ci@example.test");
    await page.getByRole("button", { name: "Add registry" }).click();
    const row = page.locator('tr[data-registry="registry.test:5000"]');
    await row.getByText("ci-bot").waitFor(wait);
    expect(await row.textContent()).toContain("ci@example.test");
    expect(await page.content()).not.toContain(password);
    const [credential] = await live("registrycredentials");
    expect(credential).toMatchObject({ publicValue: "ci-bot", secretValue: null });
    expect(await capture(page, "registries")).toEqual([]);

    await page.getByRole("button", { name: "Remove registry registry.test:5000" }).click();
    await row.waitFor({ state: "detached", ...wait });
    expect(await live("registries")).toEqual([]);
    expect(await live("registrycredentials")).toEqual([]);
    expect(problems).toEqual([]);
  });

  test("a refused address or credential shows the server's message and leaves no registry", async () => {
    await page.getByLabel("Address").fill("https://registry.test/path");
    await page.getByLabel("User name").fill("ci-bot");
    await page.getByLabel("Password").fill("x");
    await page.getByRole("button", { name: "Add registry" }).click();
    await page
      .getByRole("alert")
      .getByText(/must be a registry host/)
      .waitFor(wait);
    // The registry is made first; a user name over the credential's limit is refused after it.
    await page.getByLabel("Address").fill("registry.test:5001");
    await page.getByLabel("User name").fill("u".repeat(300));
    await page.getByRole("button", { name: "Add registry" }).click();
    await page
      .getByRole("alert")
      .getByText(/publicValue/)
      .waitFor(wait);
    await until(
      "the half-made registry removed",
      async () => (await live("registries")).length === 0,
      uiTimeout,
    );
    expect(await page.locator("tr[data-registry]").count()).toBe(0);
    forgetRefusals();
    expect(problems).toEqual([]);
  });

  test("a secret is added from typed text, its value never shown back; garbage is refused; removed", async () => {
    const value = `s3cret-${crypto.randomUUID()}`;
    await page.getByRole("link", { name: "Secrets" }).click();
    await page.getByRole("heading", { name: "Secrets" }).waitFor(wait);
    // No value: refused before anything is sent.
    await page.getByLabel("Name").fill("db-password", wait);
    await page.getByRole("button", { name: "Add secret" }).click();
    await page.getByRole("alert").getByText("value: type the secret or choose a file").waitFor(wait);
    // A name the server refuses.
    await page.getByLabel("Name").fill("bad name!");
    await page.getByLabel("Value", { exact: true }).fill(value);
    await page.getByRole("button", { name: "Add secret" }).click();
    await page.getByRole("alert").getByText(/name/).waitFor(wait);
    expect(await live("secrets")).toEqual([]);

    await page.getByLabel("Name").fill("db-password");
    await page.getByLabel("Description (optional)").fill("the shop's database");
    await page.getByRole("button", { name: "Add secret" }).click();
    const row = page.locator('tr[data-secret="db-password"]');
    await row.getByText("the shop's database").waitFor(wait);
    expect(await page.content()).not.toContain(value);
    const [secret] = await live("secrets");
    expect(secret).toMatchObject({ name: "db-password", value: null });
    expect(await capture(page, "secrets")).toEqual([]);

    await page.getByRole("button", { name: "Remove secret db-password" }).click();
    await row.waitFor({ state: "detached", ...wait });
    expect(await live("secrets")).toEqual([]);
    forgetRefusals();
    expect(problems).toEqual([]);
  });

  test("a scaling receiver shows its trigger URL once; a POST to it scales the service; removed", async () => {
    const [web] = await live("services");
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: "Webhooks" }).waitFor(wait);
    await page.getByLabel("Name").fill("scale-web", wait);
    await page.getByLabel("Service").selectOption({ label: "web" });
    await page.getByLabel("No more than").fill("5");
    await page.getByRole("button", { name: "Add receiver" }).click();
    const url = (await page.getByTestId("trigger-url").textContent({ timeout: uiTimeout })) ?? "";
    expect(url).toStartWith(`${server.url}/v1-webhooks/endpoint?key=`);
    const row = page.locator('tr[data-receiver="scale-web"]');
    expect(await row.textContent()).toContain("scale web up by 1 (between 1 and 5)");
    expect(await row.textContent()).toContain("never");
    expect(await capture(page, "webhooks")).toEqual([]);

    const answer = await fetch(url, { method: "POST" });
    expect(answer.status).toBeLessThan(300);
    await until(
      "scale 2",
      async () => (await admin.get(`${base}/services/${web!.id}`)).body.scale === 2,
      uiTimeout,
    );
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByTestId("trigger-url").waitFor({ state: "detached", ...wait });
    await page.getByRole("button", { name: "Refresh" }).click();
    await row.getByText(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/).waitFor(wait);
    expect(await page.content()).not.toContain(url.split("key=")[1]!.split("&")[0]!);

    await page.getByRole("button", { name: "Remove receiver scale-web" }).click();
    await row.waitFor({ state: "detached", ...wait });
    expect(await live("receivers")).toEqual([]);
    expect(problems).toEqual([]);
  });

  test("an upgrade receiver takes labels and a tag; a label line without = is refused at its line", async () => {
    await page.getByLabel("Name").fill("deploy-web", wait);
    await page.getByLabel("Kind").selectOption("serviceUpgrade");
    await page.getByLabel(/Services with these labels/).fill("app=web\nnot a label");
    await page.getByLabel("On a push of tag").fill("latest");
    await page.getByRole("button", { name: "Add receiver" }).click();
    await page.getByRole("alert").getByText("service labels, line 2: write key=value").waitFor(wait);
    expect(await live("receivers")).toEqual([]);
    // A tag Docker would refuse: the server's message.
    await page.getByLabel(/Services with these labels/).fill("app=web");
    await page.getByLabel("On a push of tag").fill("no tag!");
    await page.getByRole("button", { name: "Add receiver" }).click();
    await page
      .getByRole("alert")
      .getByText(/must be a Docker tag/)
      .waitFor(wait);
    expect(await live("receivers")).toEqual([]);

    await page.getByLabel("On a push of tag").fill("latest");
    await page.getByLabel("Sent by").selectOption("registry");
    await page.getByRole("button", { name: "Add receiver" }).click();
    await page.getByTestId("trigger-url").waitFor(wait);
    const row = page.locator('tr[data-receiver="deploy-web"]');
    expect(await row.textContent()).toContain(
      "upgrade services labelled app=web on a push of tag latest (registry)",
    );
    const [receiver] = await live("receivers");
    expect(receiver).toMatchObject({
      driver: "serviceUpgrade",
      serviceUpgradeConfig: { serviceSelector: { app: "web" }, tag: "latest", payloadFormat: "registry" },
    });
    forgetRefusals();
    expect(problems).toEqual([]);
  });
});
