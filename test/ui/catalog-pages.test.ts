// The catalog pages in a real browser (Debian's chromium through playwright-core) against an
// in-process server with a fake host and the test catalog served by a real `git daemon`: browse by
// category and search (a broken template listed with its reason), a template page with its icon and
// README (raw HTML in it shown as text, never run), every question type in a generated form, a launch
// refused by the server with each error beside its field, a launch that lands on the new stack, and
// an upgrade from the catalog with kept answers prefilled (not the password), finished from the
// stack page; a catalog refreshed from its page bringing a newer version, upgraded to and rolled back;
// a catalog added from the page (refusals at their field) and removed, one edited (the stored values
// filled in, refusals at their field, a key left blank kept); one from the catalog.url setting
// offers no Edit. No console error or CSP violation, no serious accessibility violation (axe).
// Screenshots go to test-artifacts/ui/.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningServer } from "@corral/server";
import type { UiBuild } from "@corral/ui";
import type { Browser, Page } from "playwright-core";
import { makeKeyPair, startSshd, type TestKeyPair, type TestSshd } from "../../server/testing/sshd.ts";
import {
  commitFiles,
  type GitDaemon,
  startGitDaemon,
  testCatalogFiles,
} from "../../server/testing/test-catalog.ts";
import { addCatalog } from "../api/catalog-kit.ts";
import { dockerLike, FakeAgent } from "../api/fake-agent.ts";
import { adminClient, type Client, expectStatus, startTestServer, until } from "../api/harness.ts";
import { buildForTest, capture, launchBrowser, uiTimeout } from "./browser.ts";

let build: UiBuild;
let server: RunningServer;
let admin: Client;
let agent: FakeAgent;
let daemon: GitDaemon;
let sshd: TestSshd;
let deployKey: TestKeyPair;
let browser: Browser;
let page: Page;
let work = "";
let base = "";
let pid = "";
const problems: string[] = [];
const wait = { timeout: uiTimeout };

/** A README that tries HTML and a script link: both must arrive as plain text / no link. */
const hostileReadme = [
  "# WordPress",
  "",
  "A **bold** claim with `code` and a [project link](https://example.invalid/wp).",
  "",
  '<img src="x" onerror="window.pwned=1">',
  "",
  "- one",
  "- [click me](javascript:window.pwned=2)",
  "",
  "```",
  "<script>window.pwned=3</script>",
  "```",
].join("\n");

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "catalog-ui-"));
  const files = testCatalogFiles();
  files["templates/wordpress/0/README.md"] = hostileReadme;
  await commitFiles(join(work, "repos", "library"), files, "first");
  await commitFiles(
    join(work, "repos", "extra"),
    {
      "templates/extra-app/config.yml":
        "name: extra-app\ndescription: from the added catalog\nversion: 1.0.0\n",
      "templates/extra-app/0/docker-compose.yml": "version: '2'\nservices: {}\n",
    },
    "first",
  );
  daemon = await startGitDaemon(join(work, "repos"));
  // The same templates behind a real sshd, for a catalog added with a private key.
  deployKey = await makeKeyPair(work, "deploy");
  await Bun.$`git clone -q --bare ${join(work, "repos", "extra")} ${join(work, "private.git")}`.quiet();
  sshd = await startSshd([deployKey.publicKey]);
  build = await buildForTest();
  server = startTestServer({ uiDir: build.outDir, env: { CORRAL_CATALOG_REFRESH_SECONDS: "0" } });
  admin = adminClient(server);
  pid = server.admin.defaultProjectId;
  base = `/v2-beta/projects/${pid}`;
  const token = expectStatus(await admin.post(`${base}/registrationtokens`, {}), 201).body.token;
  agent = await FakeAgent.join(server.url, token);
  agent.autoReply = dockerLike(agent.containers);
  await addCatalog(admin, "library", `${daemon.url}library`);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on(
    "console",
    (m) => m.type() === "error" && problems.push(`console: ${m.text()} ${m.location().url}`.trim()),
  );
  page.on("response", (r) => r.status() >= 400 && problems.push(`response: ${r.status()} ${r.url()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
});

afterAll(async () => {
  await browser?.close();
  await agent?.close().catch(() => undefined);
  await server?.stop();
  await daemon?.stop();
  await sshd?.stop();
  if (build) rmSync(build.outDir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

const nav = (name: string) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name });
const cards = () => page.locator("li.catalog-card");
const card = (id: string) => page.locator(`li.catalog-card[data-template="${id}"]`);
const field = (variable: string) => page.locator(`[data-question="${variable}"]`);

/**
 * Takes away the trace of refusals the test asked for: chromium logs each 4xx answer as a failed
 * resource, and the response listener records it. Anything else stays for the last test to report.
 */
function expectRefused(status: number, url: RegExp): void {
  const ours = (p: string) =>
    (p.startsWith(`response: ${status} `) ||
      p.startsWith(`console: Failed to load resource: the server responded with a status of ${status} `)) &&
    url.test(p);
  for (let i = problems.length - 1; i >= 0; i--) if (ours(problems[i]!)) problems.splice(i, 1);
}

describe("the catalog pages", () => {
  test("log in and open the catalog: categories, catalog state, a broken template with its reason", async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel("Username").fill("admin", wait);
    await page.getByLabel("Password").fill(server.admin.password!);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Stacks" }).waitFor(wait);
    // The first visit's session check is answered 401 (not yet logged in); no favicon is served.
    expectRefused(401, /\/v2-beta\/projects\?limit=-2$/);
    expectRefused(404, /\/favicon\.ico$/);
    await nav("Catalog").click();
    await page.getByRole("heading", { name: "Catalog", exact: true }).waitFor(wait);
    await page.locator('[data-catalog="library"]').getByText("active").waitFor(wait);
    await page.getByRole("heading", { name: "Test" }).waitFor(wait);
    await page.getByRole("heading", { name: "Infrastructure" }).waitFor(wait);
    expect(await cards().count()).toBe(12);
    await card("library:broken-yaml")
      .getByText(/Broken: .*config\.yml/)
      .waitFor(wait);
    await card("library:no-versions").getByText("no version folder (N/)").waitFor(wait);
    // The icon is served by the API and displayed.
    const icon = card("library:wordpress").locator("img");
    await until(
      "the icon loaded",
      async () => (await icon.evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth)) > 0,
      uiTimeout,
    );
    expect(await capture(page, "catalog-browse")).toEqual([]);
  });

  test("search by name or description, and choose a category", async () => {
    const search = page.getByRole("searchbox", { name: "Search" });
    await search.fill("redis");
    await page.getByRole("status").getByText("1 of 12 templates").waitFor(wait);
    expect(await cards().getAttribute("data-template")).toBe("library:redis");
    await search.fill("healthcheck for"); // name and description words together
    await page.getByRole("status").getByText("0 of 12 templates").waitFor(wait);
    await search.fill("nginx for tests");
    await page.getByRole("status").getByText("1 of 12 templates").waitFor(wait);
    await search.fill("");
    await page.getByLabel("Category").selectOption("Infrastructure");
    await page.getByRole("status").getByText("2 of 12 templates").waitFor(wait);
    expect(await page.getByRole("heading", { name: "Test" }).count()).toBe(0);
    expect(await capture(page, "catalog-search")).toEqual([]);
    await page.getByLabel("Category").selectOption("");
    await page.getByRole("status").getByText("12 of 12 templates").waitFor(wait);
  });

  test("a template page: icon, versions, README rendered with its HTML shown as text", async () => {
    await card("library:wordpress").getByRole("link", { name: "wordpress" }).click();
    await page.getByRole("heading", { name: "wordpress", level: 1 }).waitFor(wait);
    await page.getByRole("heading", { name: "Launch 2.0.0" }).waitFor(wait);
    await page.locator(".versions").getByRole("link", { name: "1.0.0" }).click();
    await page.getByRole("heading", { name: "Launch 1.0.0" }).waitFor(wait);
    expect(new URL(page.url()).pathname).toBe(`/env/${pid}/catalog/library%3Awordpress/0`);
    const readme = page.locator("section.readme");
    await readme.getByRole("heading", { name: "WordPress", level: 3 }).waitFor(wait);
    expect(await readme.locator("strong").textContent()).toBe("bold");
    expect(await readme.getByRole("link", { name: "project link" }).getAttribute("href")).toBe(
      "https://example.invalid/wp",
    );
    // Raw HTML is text; a javascript: link is no link; nothing ran.
    await readme.getByText('<img src="x" onerror="window.pwned=1">').waitFor(wait);
    expect(await readme.locator("img").count()).toBe(0);
    expect(await readme.getByRole("link", { name: "click me" }).count()).toBe(0);
    await readme.getByText("<script>window.pwned=3</script>").waitFor(wait);
    expect(await page.evaluate("window.pwned")).toBeUndefined();
    expect(await capture(page, "catalog-template")).toEqual([]);
  });

  test("a launch the server refuses shows each question's error beside its field", async () => {
    await page.getByLabel("Stack name").fill("wp");
    await page.getByLabel("Port").fill("70000");
    await page.getByRole("button", { name: "Launch" }).click();
    await page.getByRole("alert").getByText("Some answers need fixing.").waitFor(wait);
    await field("public_port")
      .locator(".error")
      .getByText(/at most 65535/)
      .waitFor(wait);
    await field("db_password")
      .locator(".error")
      .getByText(/is required/)
      .waitFor(wait);
    expect(await page.getByLabel("Port").getAttribute("aria-invalid")).toBe("true");
    expect(await capture(page, "catalog-launch-errors")).toEqual([]);
    expect((await admin.get(`${base}/stacks?name=wp`)).body.data).toEqual([]);
    expectRefused(422, /\/stacks$/);
  });

  test("a launch with good answers lands on the new stack, which offers an upgrade", async () => {
    await page.getByLabel("Port").fill("8081");
    await page.getByLabel(/Database password/).fill("pw-one-123");
    await page.getByRole("button", { name: "Launch" }).click();
    await page.getByRole("heading", { name: /^Stack wp/ }).waitFor(wait);
    const [stack] = (await admin.get(`${base}/stacks?name=wp`)).body.data;
    expect(stack.externalId).toBe("catalog://library:wordpress:0");
    expect(stack.environment).toEqual({ public_port: "8081" });
    await page.getByTestId("upgrade-available").getByText("Upgrade available: 2.0.0").waitFor(wait);
    expect(await capture(page, "catalog-stack")).toEqual([]);
  });

  test("upgrade from the catalog: kept answers prefilled, not the password; the new question asked; finish", async () => {
    await page.getByRole("link", { name: "Upgrade from the catalog" }).click();
    await page.getByRole("heading", { name: "Upgrade stack wp" }).waitFor(wait);
    await page.getByRole("button", { name: "Upgrade to 2.0.0" }).waitFor(wait);
    expect(await page.getByLabel("Port").inputValue()).toBe("8081");
    expect(await page.getByLabel(/Database password/).inputValue()).toBe("");
    expect(await page.getByLabel("site_title").inputValue()).toBe("Corral");
    await page.getByLabel("site_title").fill("x".repeat(41));
    await page.getByRole("button", { name: "Upgrade to 2.0.0" }).click();
    await field("site_title").locator(".error").waitFor(wait);
    expectRefused(422, /action=upgrade$/);
    await page.getByLabel("site_title").fill("Mine");
    expect(await capture(page, "catalog-upgrade")).toEqual([]);
    await page.getByRole("button", { name: "Upgrade to 2.0.0" }).click();
    await page.getByRole("heading", { name: /^Stack wp/ }).waitFor(wait);
    const [stack] = (await admin.get(`${base}/stacks?name=wp`)).body.data;
    expect(stack.externalId).toBe("catalog://library:wordpress:1");
    expect(stack.environment).toEqual({ public_port: "8081", site_title: "Mine" });
    const [web] = (await admin.get(`${base}/services?stackId=${stack.id}`)).body.data;
    const lc = web.upgrade?.inServiceStrategy?.launchConfig ?? web.launchConfig;
    // The kept password answer: a reference the host resolves, never the value.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference the service keeps
    expect(lc.environment).toEqual({ DB_PASSWORD: "${db_password}", PORT: "8081", TITLE: "Mine" });
    await page.getByRole("button", { name: "Finish upgrade wp" }).click(wait);
    await page.locator("h1 .badge", { hasText: /^State: active$/ }).waitFor(wait);
    expect(await page.getByTestId("upgrade-available").count()).toBe(0);
  });

  test("a catalog refreshed from its page brings 3.0.0: the stack offers it, upgrades, and rolls back", async () => {
    const files = testCatalogFiles();
    await commitFiles(
      join(work, "repos", "library"),
      {
        "templates/wordpress/2/docker-compose.yml": files[
          "templates/wordpress/1/docker-compose.yml"
        ]!.replace("rev: '1'", "rev: '2'"),
        "templates/wordpress/2/rancher-compose.yml": files[
          "templates/wordpress/1/rancher-compose.yml"
        ]!.replace("version: 2.0.0", "version: 3.0.0").replace('">=1.0.0 <2.0.0"', '">=2.0.0"'),
      },
      "wordpress 3.0.0",
    );
    const stackUrl = page.url();
    await nav("Catalog").click();
    await page.getByRole("button", { name: "Refresh library" }).click(wait);
    await until(
      "3.0.0 listed",
      async () =>
        Boolean((await admin.get("/v1-catalog/templates/library:wordpress")).body.versionLinks["3.0.0"]),
      uiTimeout,
    );
    await page.goto(stackUrl);
    await page.getByTestId("upgrade-available").getByText("Upgrade available: 3.0.0").waitFor(wait);
    await page.getByRole("link", { name: "Upgrade from the catalog" }).click();
    await page.getByRole("button", { name: "Upgrade to 3.0.0" }).click(wait);
    await page.getByRole("heading", { name: /^Stack wp/ }).waitFor(wait);
    const [stack] = (await admin.get(`${base}/stacks?name=wp`)).body.data;
    expect(stack.externalId).toBe("catalog://library:wordpress:2");
    // Roll back: the earlier version and its answers return, and its upgrade is offered again.
    await page.getByRole("button", { name: "Roll back wp" }).click(wait);
    await page.getByTestId("upgrade-available").getByText("Upgrade available: 3.0.0").waitFor(wait);
    const back = (await admin.get(`${base}/stacks/${stack.id}`)).body;
    expect(back.externalId).toBe("catalog://library:wordpress:1");
    expect(back.environment).toEqual({ public_port: "8081", site_title: "Mine" });
  });

  test("every question type gets its input; a bad answer is refused at its field", async () => {
    await nav("Catalog").click();
    await card("library:all-questions").getByRole("link", { name: "all-questions" }).click();
    await page.getByRole("heading", { name: "Launch 1.0.0" }).waitFor(wait);
    const tag = (v: string) => field(v).locator("input, select, textarea").first();
    const kinds: Record<string, string> = {};
    for (const v of ["s", "i", "b", "e", "p", "m", "svc", "cert", "d", "f"])
      kinds[v] = await tag(v).evaluate(
        (e) => `${e.tagName.toLowerCase()}:${(e as unknown as { type: string }).type}`,
      );
    expect(kinds).toEqual({
      s: "input:text",
      i: "input:text",
      b: "input:checkbox",
      e: "select:select-one",
      p: "input:password",
      m: "textarea:textarea",
      svc: "select:select-one",
      cert: "select:select-one",
      d: "input:text",
      f: "input:text",
    });
    // The group, the description and the environment's services are shown.
    await page.getByRole("group", { name: "Basics" }).getByText("A string").waitFor(wait);
    await field("svc")
      .locator("option", { hasText: /^wp\/web$/ })
      .waitFor({ state: "attached", ...wait });
    expect(await tag("b").isChecked()).toBe(true);
    expect(await tag("d").inputValue()).toBe("2026-01-01");
    await page.getByLabel("Stack name").fill("allq");
    await tag("s").fill("ABC");
    await tag("f").fill("3");
    await page.getByRole("button", { name: "Launch" }).click();
    await field("s").locator(".error").waitFor(wait);
    await field("f")
      .locator(".error")
      .getByText(/at most 2/)
      .waitFor(wait);
    expect(await capture(page, "catalog-all-questions")).toEqual([]);
    expectRefused(422, /\/stacks$/);
    await tag("s").fill("abc");
    await tag("f").fill("0.5");
    await tag("svc").selectOption("wp/web");
    await tag("b").uncheck();
    await page.getByRole("button", { name: "Launch" }).click();
    await page.getByRole("heading", { name: /^Stack allq/ }).waitFor(wait);
    const [stack] = (await admin.get(`${base}/stacks?name=allq`)).body.data;
    expect(stack.environment).toMatchObject({ s: "abc", b: "false", f: "0.5", svc: "wp/web", e: "one" });
  });

  test("an admin adds a catalog to the environment (refusals shown at their field), removes it, adds it for all", async () => {
    await nav("Catalog").click();
    await page.getByRole("heading", { name: "Catalog", exact: true }).waitFor(wait);
    await page.getByText("Add a catalog", { exact: true }).click();
    const form = page.getByRole("form", { name: "Add a catalog" });
    const fieldError = (name: string) => form.locator(`[data-field="${name}"] .error`);
    const extraUrl = `file://${join(work, "repos", "extra")}`;
    // A name already taken: the server's message at the name field.
    await form.getByLabel("Name").fill("library");
    await form.getByLabel("Git URL").fill(extraUrl);
    await form.getByRole("button", { name: "Add catalog" }).click();
    await fieldError("name").getByText("a catalog named library exists").waitFor(wait);
    expect(await form.getByLabel("Name").getAttribute("aria-invalid")).toBe("true");
    expectRefused(409, /\/v1-catalog\/catalogs$/);
    // A URL git must not be handed: refused at the URL field, the name's error gone.
    await form.getByLabel("Name").fill("extra");
    await form.getByLabel("Git URL").fill("ext::sh -c id");
    await form.getByRole("button", { name: "Add catalog" }).click();
    await fieldError("url")
      .getByText(/use a file:\/\/, http\(s\):\/\//)
      .waitFor(wait);
    expect(await fieldError("name").count()).toBe(0);
    expectRefused(422, /\/v1-catalog\/catalogs$/);
    // Username and password are offered for http(s) URLs only.
    expect(await form.getByLabel("Username (optional)").count()).toBe(0);
    await form.getByLabel("Git URL").fill("https://git.example.invalid/c.git");
    expect(await fieldError("url").count()).toBe(0);
    await form.getByLabel("Username (optional)").waitFor(wait);
    await form.getByLabel("Password or token (optional)").waitFor(wait);
    expect(await capture(page, "catalog-add-refused")).toEqual([]);
    await form.getByLabel("Git URL").fill(extraUrl);
    expect(await form.getByLabel("Username (optional)").count()).toBe(0);
    await form.getByRole("button", { name: "Add catalog" }).click();
    // Added to this environment, fetched, and its template listed without a reload.
    await page.locator('[data-catalog="extra"]').getByText("active").waitFor(wait);
    await card("extra:extra-app").waitFor(wait);
    const added = expectStatus(await admin.get("/v1-catalog/catalogs/extra"), 200).body;
    expect([added.url, added.branch, added.environmentId]).toEqual([extraUrl, "master", pid]);
    expect(await form.getByLabel("Name").inputValue()).toBe("");
    expect(await capture(page, "catalog-added")).toEqual([]);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Remove catalog extra" }).click();
    await page.locator('[data-catalog="extra"]').waitFor({ state: "detached", ...wait });
    await card("extra:extra-app").waitFor({ state: "detached", ...wait });
    expect((await admin.get("/v1-catalog/catalogs/extra")).status).toBe(404);
    // Again for every environment (the admin may): a global catalog.
    await form.getByLabel("Name").fill("extra");
    await form.getByLabel("Git URL").fill(extraUrl);
    await form.getByLabel("Branch").fill("master");
    await form.getByLabel("For every environment (admins only)").check();
    await form.getByRole("button", { name: "Add catalog" }).click();
    await page.locator('[data-catalog="extra"]').getByText("active").waitFor(wait);
    expect(await page.locator('[data-catalog="extra"]').getByText("this environment").count()).toBe(0);
    expect(expectStatus(await admin.get("/v1-catalog/catalogs/extra"), 200).body.environmentId).toBe(
      "global",
    );
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Remove catalog extra" }).click();
    await card("extra:extra-app").waitFor({ state: "detached", ...wait });
    expect((await admin.get("/v1-catalog/catalogs/extra")).status).toBe(404);
    await page.locator('[data-catalog="library"]').waitFor(wait);
  });

  test("a catalog over ssh added with a private key: a bad key refused at its field, the key never shown", async () => {
    const form = page.getByRole("form", { name: "Add a catalog" });
    if (!(await form.isVisible())) await page.getByText("Add a catalog", { exact: true }).click();
    const fieldError = (name: string) => form.locator(`[data-field="${name}"] .error`);
    const keyField = form.getByLabel("Private key (optional, without passphrase)");
    // The key and host key fields come with an ssh URL, and username/password go.
    expect(await keyField.count()).toBe(0);
    await form.getByLabel("Name").fill("private");
    await form
      .getByLabel("Git URL")
      .fill(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${join(work, "private.git")}`);
    await keyField.waitFor(wait);
    await form.getByLabel(/^Host keys, known_hosts lines/).waitFor(wait);
    expect(await form.getByLabel("Username (optional)").count()).toBe(0);
    expect(await keyField.evaluate((e) => e.tagName)).toBe("TEXTAREA");
    await keyField.fill("-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key\n-----END OPENSSH PRIVATE KEY-----");
    await form.getByRole("button", { name: "Add catalog" }).click();
    await fieldError("sshKey")
      .getByText(/not an OpenSSH or PEM private key/)
      .waitFor(wait);
    expect(await keyField.getAttribute("aria-invalid")).toBe("true");
    expectRefused(422, /\/v1-catalog\/catalogs$/);
    expect((await admin.get("/v1-catalog/catalogs/private")).status).toBe(404);
    await keyField.fill(deployKey.privateKey);
    expect(await fieldError("sshKey").count()).toBe(0);
    await form.getByRole("button", { name: "Add catalog" }).click();
    const row = page.locator('[data-catalog="private"]');
    await row.getByText("active").waitFor(wait);
    await card("private:extra-app").waitFor(wait);
    // Its public half is shown to add as a deploy key; the form is empty again; no line of the key
    // anywhere in the page.
    await row.getByText("Public key (add it to the git server as a deploy key)").click();
    await row.getByText(deployKey.publicKey).waitFor(wait);
    expect(await form.getByLabel("Name").inputValue()).toBe("");
    const html = await page.content();
    for (const line of deployKey.privateKey
      .split("\n")
      .filter((l) => l.length >= 16 && !l.startsWith("-----")))
      expect(html).not.toContain(line);
    expect(await capture(page, "catalog-ssh-added")).toEqual([]);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Remove catalog private" }).click();
    await card("private:extra-app").waitFor({ state: "detached", ...wait });
    expect((await admin.get("/v1-catalog/catalogs/private")).status).toBe(404);
  });

  test("a catalog edited from its page: stored values filled in, refusals at their field, a blank key kept", async () => {
    const sshUrl = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${join(work, "private.git")}`;
    expectStatus(
      await admin.post("/v1-catalog/catalogs", {
        name: "editme",
        url: sshUrl,
        environmentId: pid,
        sshKey: deployKey.privateKey,
      }),
      201,
    );
    await page.reload();
    const row = page.locator('[data-catalog="editme"]');
    await row.getByText("active").waitFor(wait);
    await row.getByLabel("Edit editme").click();
    const form = page.getByRole("form", { name: "Edit catalog editme" });
    const fieldError = (name: string) => form.locator(`[data-field="${name}"] .error`);
    // The stored URL and branch are filled in; the name stays; the key is never sent back.
    expect(await form.getByLabel("Git URL").inputValue()).toBe(sshUrl);
    expect(await form.getByLabel("Branch").inputValue()).toBe("master");
    expect(await form.getByLabel("Name").count()).toBe(0);
    const keyField = form.getByLabel("Private key (blank keeps the stored one; without passphrase)");
    expect(await keyField.inputValue()).toBe("");
    // A URL git must not be handed and a bad branch: each refused at its field.
    await form.getByLabel("Git URL").fill("ext::sh -c id");
    await form.getByLabel("Branch").fill("-bad..branch");
    await form.getByRole("button", { name: "Save catalog" }).click();
    await fieldError("url")
      .getByText(/use a file:\/\/, http\(s\):\/\//)
      .waitFor(wait);
    await fieldError("branch").getByText("not a branch name").waitFor(wait);
    expect(await form.getByLabel("Git URL").getAttribute("aria-invalid")).toBe("true");
    expectRefused(422, /\/v1-catalog\/catalogs\/editme$/);
    // A key ssh cannot read: refused at the key field.
    await form.getByLabel("Git URL").fill(sshUrl);
    await form.getByLabel("Branch").fill("master");
    await keyField.fill("-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key\n-----END OPENSSH PRIVATE KEY-----");
    await form.getByRole("button", { name: "Save catalog" }).click();
    await fieldError("sshKey")
      .getByText(/not an OpenSSH or PEM private key/)
      .waitFor(wait);
    expect(await fieldError("url").count()).toBe(0);
    expectRefused(422, /\/v1-catalog\/catalogs\/editme$/);
    expect(await capture(page, "catalog-edit-refused")).toEqual([]);
    // Saved with the key blank: the stored key is kept, so the sshd lets the fetch a save starts in.
    await keyField.fill("");
    const before = expectStatus(await admin.get("/v1-catalog/catalogs/editme"), 200).body;
    await form.getByRole("button", { name: "Save catalog" }).click();
    await form.waitFor({ state: "hidden", ...wait });
    await until(
      "editme fetched again with its kept key",
      async () => {
        const c = (await admin.get("/v1-catalog/catalogs/editme")).body;
        return c.state === "active" && c.lastRefreshTimestamp !== before.lastRefreshTimestamp;
      },
      30_000,
      100,
    );
    const kept = expectStatus(await admin.get("/v1-catalog/catalogs/editme"), 200).body;
    expect([kept.state, kept.hasCredentials, kept.sshPublicKey]).toEqual([
      "active",
      true,
      before.sshPublicKey,
    ]);
    // Moved to another server (git daemon): the key fields go, the key is not carried over.
    await row.getByLabel("Edit editme").click();
    await form.getByLabel("Git URL").fill(`${daemon.url}extra`);
    expect(await form.getByLabel(/^Private key/).count()).toBe(0);
    await form.getByRole("button", { name: "Save catalog" }).click();
    await row.getByText(`${daemon.url}extra (master)`).waitFor(wait);
    await row.getByText("active").waitFor(wait);
    const moved = expectStatus(await admin.get("/v1-catalog/catalogs/editme"), 200).body;
    expect([moved.url, moved.hasCredentials, moved.sshPublicKey]).toEqual([
      `${daemon.url}extra`,
      false,
      null,
    ]);
    const html = await page.content();
    for (const line of deployKey.privateKey
      .split("\n")
      .filter((l) => l.length >= 16 && !l.startsWith("-----")))
      expect(html).not.toContain(line);
    page.once("dialog", (d) => void d.accept());
    await page.getByRole("button", { name: "Remove catalog editme" }).click();
    await row.waitFor({ state: "detached", ...wait });
  });

  test("a catalog from the catalog.url setting offers no Edit (it is changed in the setting)", async () => {
    const setting = "/v2-beta/settings/catalog.url";
    expectStatus(await admin.put(setting, { value: `fromset=${daemon.url}extra` }), 200);
    await until(
      "fromset fetched",
      async () => (await admin.get("/v1-catalog/catalogs/fromset")).body.state === "active",
      30_000,
      100,
    );
    expect((await admin.get("/v1-catalog/catalogs/fromset")).body.fromSetting).toBe(true);
    await page.reload();
    const row = page.locator('[data-catalog="fromset"]');
    await row.getByText("active").waitFor(wait);
    await row.getByText(`${daemon.url}extra (master)`).waitFor(wait);
    // The page has loaded its catalogs with the controls an admin gets: library, added through
    // the API, can be edited; the one from the setting cannot.
    const library = page.locator('[data-catalog="library"]');
    await library.getByLabel("Edit library").waitFor(wait);
    expect(await row.getByLabel("Edit fromset").count()).toBe(0);
    expect(await row.getByText("Edit", { exact: true }).count()).toBe(0);
    expect(await page.getByRole("form", { name: "Edit catalog fromset" }).count()).toBe(0);
    expect(await capture(page, "catalog-from-setting")).toEqual([]);
    // Taken out of the setting, it goes from the page.
    expectStatus(await admin.put(setting, { value: "" }), 200);
    await page.reload();
    await library.getByText("active").waitFor(wait);
    expect(await row.count()).toBe(0);
  });

  test("no console error or CSP violation on the way", () => {
    expect(problems).toEqual([]);
  });
});
