// The administration pages of the web UI in a real browser (Debian's chromium through
// playwright-core) against an in-process server: API keys (account and environment) made with their
// secret shown once and copied, revoked keys refused with 401, removed; the audit log filtered and
// paged; environments created, edited, deactivated and removed with the switcher following at once;
// members added from the identity search, their role changed, removed, and a read-only member who
// sees no edit controls; the login page per configured provider (local, LDAP, GitHub, OpenID
// Connect). No console error or CSP violation, no serious accessibility violation (axe) on any page.
// Screenshots go to test-artifacts/ui/.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { RunningServer } from "@corral/server";
import type { UiBuild } from "@corral/ui";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { adminClient, basic, type Client, expectStatus, startTestServer, until } from "../api/harness.ts";
import { buildForTest, capture, launchBrowser, uiTimeout } from "./browser.ts";

let build: UiBuild;
let server: RunningServer;
let admin: Client;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pid: string;
const problems: string[] = [];
const ritaPassword = `rita-${crypto.randomUUID()}`;
const wait = { timeout: uiTimeout };

/** Watches a page for console errors, page errors and CSP violations; accepts confirmations. */
function watch(p: Page): void {
  p.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  p.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  p.on("dialog", (d) => void d.accept());
}

/** Logs in through the login page. */
async function logIn(p: Page, username: string, password: string): Promise<void> {
  const before = problems.length;
  await p.goto(`${server.url}/`);
  await p.getByLabel("Username").fill(username, wait);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Log in" }).click();
  await p.getByRole("heading", { name: "Stacks" }).waitFor(wait);
  // The anonymous first load's 401 (which shows the login page) is expected, as is the favicon's 404.
  for (let i = problems.length - 1; i >= before; i--)
    if (/status of (401|404)/.test(problems[i]!)) problems.splice(i, 1);
}

/** Drops the console's report of the 422 answers a test provoked on purpose (bad input). */
function forgetRefusals(): void {
  for (let i = problems.length - 1; i >= 0; i--)
    if (/status of 422/.test(problems[i]!)) problems.splice(i, 1);
}

/** The status of a GET with a key's Basic credentials. */
async function statusWithKey(path: string, access: string, secret: string): Promise<number> {
  const res = await fetch(`${server.url}${path}`, { headers: { Authorization: basic(access, secret) } });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  build = await buildForTest();
  server = startTestServer({ uiDir: build.outDir });
  admin = adminClient(server);
  pid = server.admin.defaultProjectId;
  for (const [name, username] of [
    ["rita-reader", "rita"],
    ["mona-member", "mona"],
  ])
    expectStatus(
      await admin.post("/v2-beta/accounts", { name, kind: "user", username, password: ritaPassword }),
      201,
    );
  browser = await launchBrowser();
  // A context of its own (axe opens a page beside ours); the clipboard may be read back.
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    permissions: ["clipboard-read", "clipboard-write"],
  });
  page = await context.newPage();
  watch(page);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (build) rmSync(build.outDir, { recursive: true, force: true });
});

describe("the web UI's administration pages", () => {
  test("an account key is made with its secret shown once and copied; revoked it gets 401; removed", async () => {
    await logIn(page, "admin", server.admin.password!);
    await page.getByRole("link", { name: "API keys" }).click();
    const section = page.getByRole("region", { name: "Account keys" });
    await section.getByLabel("Name").fill("ci", wait);
    await section.getByLabel("Description").fill("the build");
    await section.getByRole("button", { name: "Create key" }).click();
    const access = (await section.getByTestId("access-key").textContent(wait))!;
    const secret = (await section.getByTestId("secret-key").textContent())!;
    expect(secret.length).toBeGreaterThan(20);
    await section.getByRole("button", { name: "Copy access and secret key" }).click();
    await section.getByRole("status").getByText("Copied.").waitFor(wait);
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(`${access}:${secret}`);
    expect(await statusWithKey("/v2-beta/projects", access, secret)).toBe(200);
    const row = section.locator(`tr[data-key="${access}"]`);
    await row.getByText("the build").waitFor(wait);
    expect(await capture(page, "api-keys")).toEqual([]);
    // Shown once: after Done, and in the API's list, the secret is gone.
    await section.getByRole("button", { name: "Done" }).click();
    expect(await section.getByTestId("secret-key").count()).toBe(0);
    expect(JSON.stringify(expectStatus(await admin.get("/v2-beta/apikeys"), 200).body)).not.toContain(secret);
    await row.getByRole("button", { name: "Revoke ci" }).click();
    await row.locator(".badge", { hasText: /^State: inactive$/ }).waitFor(wait);
    expect(await statusWithKey("/v2-beta/projects", access, secret)).toBe(401);
    await row.getByRole("button", { name: "Remove key ci" }).click();
    await row.waitFor({ state: "detached", ...wait });
    expect(await statusWithKey("/v2-beta/projects", access, secret)).toBe(401);
  });

  test("an environment key works inside its environment until it is revoked", async () => {
    const section = page.getByRole("region", { name: "Environment keys" });
    await section.getByLabel("Name").fill("deploy", wait);
    await section.getByRole("button", { name: "Create key" }).click();
    const access = (await section.getByTestId("access-key").textContent(wait))!;
    const secret = (await section.getByTestId("secret-key").textContent())!;
    const stacks = `/v2-beta/projects/${pid}/stacks`;
    expect(await statusWithKey(stacks, access, secret)).toBe(200);
    const row = section.locator(`tr[data-key="${access}"]`);
    await row.getByRole("button", { name: "Revoke deploy" }).click(wait);
    await row.locator(".badge", { hasText: /^State: inactive$/ }).waitFor(wait);
    expect(await statusWithKey(stacks, access, secret)).toBe(401);
    await row.getByRole("button", { name: "Activate deploy" }).click(wait);
    await row.locator(".badge", { hasText: /^State: active$/ }).waitFor(wait);
    expect(await statusWithKey(stacks, access, secret)).toBe(200);
    expect(await capture(page, "api-keys-environment")).toEqual([]);
  });

  test("the audit log filters by resource type, event, who and time, and pages", async () => {
    // Enough rows for two pages: 30 keys made through the API.
    for (let i = 0; i < 30; i++)
      expectStatus(await admin.post(`/v2-beta/projects/${pid}/apikeys`, { name: `bulk-${i}` }), 201);
    await page.getByRole("link", { name: "Audit log" }).click();
    const rows = page.getByTestId("audit-rows").locator("tbody tr");
    await rows.first().waitFor(wait);
    expect(await rows.count()).toBe(25);
    const first = await rows.first().textContent();
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByRole("status").getByText("Page 2").waitFor(wait);
    expect(await rows.first().textContent()).not.toBe(first);
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.getByRole("status").getByText("Page 1").waitFor(wait);
    expect(await rows.first().textContent()).toBe(first);

    const filters = page.getByRole("form", { name: "Filter the audit log" });
    await filters.getByLabel("Resource type").fill("apiKey");
    await filters.getByLabel("Event").fill("create");
    await filters.getByLabel("Account id").fill(server.admin.adminAccountId);
    await filters.getByRole("button", { name: "Filter" }).click();
    await page.waitForFunction(
      `[...document.querySelectorAll("tbody tr")].every((r) => r.dataset.event === "api.apiKey.create")`,
      undefined,
      wait,
    );
    expect(await rows.count()).toBe(25);
    expect(await capture(page, "audit-log")).toEqual([]);
    // A time range in the future holds nothing.
    await filters.getByLabel("From (UTC)").fill("2099-01-01T00:00");
    await filters.getByRole("button", { name: "Filter" }).click();
    await page.getByText("No audit entries match.").waitFor(wait);
    // From an hour ago (UTC, as the table shows times): the rows are back.
    await filters.getByLabel("From (UTC)").fill(new Date(Date.now() - 3_600_000).toISOString().slice(0, 16));
    await filters.getByRole("button", { name: "Filter" }).click();
    await rows.first().waitFor(wait);
    expect(await rows.count()).toBe(25);
    await filters.getByLabel("From (UTC)").fill("");
    await filters.getByLabel("Account id").fill("1a999999");
    await filters.getByRole("button", { name: "Filter" }).click();
    await page.getByText("No audit entries match.").waitFor(wait);
  });

  test("an environment is created, shown in the switcher at once, edited, deactivated and removed", async () => {
    await page.evaluate("window.marker = 7");
    await page.getByRole("link", { name: "Environments" }).click();
    const form = page.getByRole("form", { name: "Add an environment" });
    // A name the server refuses: its message is shown, nothing is made.
    await form.getByLabel("Name").fill("not a name!", wait);
    await form.getByRole("button", { name: "Add environment" }).click();
    await form.getByRole("alert").getByText(/name/).waitFor(wait);
    forgetRefusals();
    const count = expectStatus(await admin.get("/v2-beta/projects"), 200).body.data.length;
    await form.getByLabel("Name").fill("qa", wait);
    await form.getByLabel("Description").fill("for testers");
    await form.getByRole("button", { name: "Add environment" }).click();
    const row = page.locator('tr[data-environment="qa"]');
    await row.getByText("for testers").waitFor(wait);
    expect(expectStatus(await admin.get("/v2-beta/projects"), 200).body.data.length).toBe(count + 1);
    const switcher = page.getByRole("combobox", { name: "Environment" });
    await switcher.locator("option", { hasText: /^qa$/ }).waitFor({ state: "attached", ...wait });
    expect(await capture(page, "environments")).toEqual([]);

    await row.getByRole("button", { name: "Edit qa" }).click();
    const edit = page.getByRole("form", { name: "Edit environment qa" });
    await edit.getByLabel("Name").fill("quality");
    await edit.getByLabel("Description").fill("for the QA team");
    await edit.getByRole("button", { name: "Save" }).click();
    const renamed = page.locator('tr[data-environment="quality"]');
    await renamed.getByText("for the QA team").waitFor(wait);
    await switcher.locator("option", { hasText: /^quality$/ }).waitFor({ state: "attached", ...wait });
    const id = (await switcher.locator("option", { hasText: /^quality$/ }).getAttribute("value"))!;
    expect(expectStatus(await admin.get(`/v2-beta/projects/${id}`), 200).body).toMatchObject({
      name: "quality",
      description: "for the QA team",
    });

    await renamed.getByRole("button", { name: "Deactivate quality" }).click();
    await renamed.locator(".badge", { hasText: /^State: inactive$/ }).waitFor(wait);
    await renamed.getByRole("button", { name: "Remove environment quality" }).click();
    await renamed.waitFor({ state: "detached", ...wait });
    await switcher.locator("option", { hasText: /^quality$/ }).waitFor({ state: "detached", ...wait });
    expect(await page.evaluate("window.marker")).toBe(7);
  });

  test("members are added from the identity search, their role changed, and removed", async () => {
    await page.getByRole("link", { name: "Members", exact: true }).click();
    const search = page.getByRole("form", { name: "Find people and groups" });
    // An environment needs an owner: the admin first.
    for (const [who, role] of [
      ["admin", "Owner"],
      ["rita", "Read only"],
      ["mona", "Member"],
    ] as const) {
      await search.getByLabel("Name starts with").fill(who, wait);
      await search.getByRole("button", { name: "Search" }).click();
      const found = page.locator(`li[data-identity^="${who}"]`);
      await found.getByRole("combobox").selectOption({ label: role }, wait);
      await found.getByRole("button", { name: /^Add / }).click();
      await page.locator(`tr[data-member^="${who}"]`).waitFor(wait);
    }
    const members = async () =>
      expectStatus(await admin.get(`/v2-beta/projects/${pid}/projectmembers`), 200).body.data.map(
        (m: { name: string; role: string; state: string }) => `${m.name}:${m.role}:${m.state}`,
      );
    expect(await members()).toEqual(
      expect.arrayContaining(["rita-reader:readonly:active", "mona-member:member:active"]),
    );
    await page.getByLabel("Role of mona-member").selectOption({ label: "Owner" });
    await until(
      "the role saved",
      async () => (await members()).includes("mona-member:owner:active"),
      uiTimeout,
    );
    const role = page.getByLabel("Role of mona-member");
    await until(
      "the select shows the saved role",
      async () => (await role.inputValue()) === "owner",
      uiTimeout,
    );
    expect(await members()).toContain("mona-member:owner:active");
    expect(await capture(page, "members")).toEqual([]);
    await page.getByRole("button", { name: "Remove mona-member" }).click();
    await page.locator('tr[data-member^="mona"]').waitFor({ state: "detached", ...wait });
    expect(await members()).not.toContain("mona-member:owner:active");
    expect(await members()).toContain("rita-reader:readonly:active");
    // The last owner cannot step down: the server's refusal is shown and the role stays.
    await page.getByLabel("Role of admin").selectOption({ label: "Member" });
    await page
      .getByRole("alert")
      .getByText(/at least one owner/)
      .waitFor(wait);
    expect(await members()).toContain("admin:owner:active");
    await until(
      "the select back at owner",
      async () => (await page.getByLabel("Role of admin").inputValue()) === "owner",
      uiTimeout,
    );
    forgetRefusals();
  });

  test("a read-only member sees the members and environments but no edit controls", async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const rita = await other.newPage();
      watch(rita);
      await logIn(rita, "rita", ritaPassword);
      await rita.getByRole("link", { name: "Members", exact: true }).click();
      await rita.locator('tr[data-member^="rita"]').getByText("Read only").waitFor(wait);
      await rita.getByText("Only the environment's owners change its members.").waitFor(wait);
      expect(await rita.getByRole("button", { name: /^Remove/ }).count()).toBe(0);
      expect(await rita.getByRole("combobox", { name: /^Role/ }).count()).toBe(0);
      expect(await rita.getByRole("form", { name: "Find people and groups" }).count()).toBe(0);
      expect(await capture(rita, "members-read-only")).toEqual([]);
      await rita.getByRole("link", { name: "Environments" }).click();
      const row = rita.locator('tr[data-environment="Default"]');
      await row.waitFor(wait);
      expect(await row.getByRole("button").count()).toBe(0);
      // Environment keys are the owners': not offered (and not asked for); account keys are hers.
      await rita.getByRole("link", { name: "API keys" }).click();
      await rita.getByText("Only the environment's owners manage its keys.").waitFor(wait);
      await rita.getByRole("region", { name: "Account keys" }).getByText("No keys yet.").waitFor(wait);
      expect(await capture(rita, "api-keys-read-only")).toEqual([]);
    } finally {
      await other.close();
    }
  });

  test("the login page shows the configured provider's form or button", async () => {
    expect(problems).toEqual([]);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Log in" }).waitFor(wait);
    const ldapFields = {
      server: "127.0.0.1",
      port: 1,
      serviceAccountUsername: "cn=reader",
      serviceAccountPassword: "secret",
      domain: "dc=example,dc=org",
    };
    const configs: [string, Record<string, unknown>][] = [
      ["openldapconfig", ldapFields],
      ["ldapconfig", ldapFields],
      ["githubconfig", { clientId: "client", clientSecret: "secret" }],
      ["oidcconfig", { issuer: "http://127.0.0.1:1", clientId: "client", clientSecret: "secret" }],
    ];
    const enable = async (name: string, fields: Record<string, unknown>, enabled: boolean) =>
      expectStatus(await admin.put(`/v2-beta/${name}`, { ...fields, enabled }), 200);

    await page.reload();
    await page.getByLabel("Username", { exact: true }).waitFor(wait);
    expect(await page.getByRole("link", { name: /^Log in with/ }).count()).toBe(0);

    for (const [name, fields] of configs.slice(0, 2)) {
      const dir = name === "openldapconfig" ? "OpenLDAP" : "Active Directory";
      await enable(name, fields, true);
      await page.reload();
      await page.getByText(`Log in with your ${dir} account.`).waitFor(wait);
      await page.getByLabel(`${dir} username`).waitFor(wait);
      await page.getByLabel(`${dir} password`).waitFor(wait);
      expect(await capture(page, `login-${name}`)).toEqual([]);
      await enable(name, fields, false);
    }
    for (const [name, fields] of configs.slice(2)) {
      const label = name === "githubconfig" ? "GitHub" : "OpenID Connect";
      await enable(name, fields, true);
      await page.reload();
      const button = page.getByRole("link", { name: `Log in with ${label}` });
      await button.waitFor(wait);
      expect(await button.getAttribute("href")).toBe(`${server.url}/v2-beta/auth/${name}/login`);
      // Local accounts keep a way in, folded below the button.
      expect(await page.getByLabel("Username").isVisible()).toBe(false);
      await page.getByText("Log in with a local account").click();
      await page.getByLabel("Username").waitFor(wait);
      expect(await capture(page, `login-${name}`)).toEqual([]);
      await enable(name, fields, false);
    }
    // The local admin logs in with all of them off again.
    await logIn(page, "admin", server.admin.password!);
    // Each signed-out reload asks for the environments and gets the 401 that shows the login page.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
