// The container page's shell in a real browser (Debian's chromium through playwright-core) against
// a real host: a server with a joined agent process on this machine's Docker engine, and a busybox
// container. The shell opens /bin/sh with a terminal, runs a command typed into xterm.js, follows
// a change of the window's size into the container (`stty size` reports it), and the page has no
// serious accessibility violation (axe) with the shell open, no console error or CSP violation.
// The screenshot goes to test-artifacts/ui/container-shell.png.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { UiBuild } from "@corral/ui";
import type { Browser, Page } from "playwright-core";
import {
  type Env,
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
let name = "";
const problems: string[] = [];
const wait = { timeout: uiTimeout };

beforeAll(async () => {
  build = await buildForTest();
  env = await startEnv({ uiDir: build.outDir });
  name = uniqueName("shell");
  const created = await env.api.createContainer({
    name,
    imageUuid: `docker:${testImage}`,
    command: sleepCommand,
  });
  await env.api.waitContainer(created.id, "running");
  browser = await launchBrowser();
  page = await watchedPage(browser, problems, { responses: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await env?.stop();
  await removeDockerLeftovers();
  if (build) rmSync(build.outDir, { recursive: true, force: true });
}, 60_000);

/** The text the terminal shows, row by row (xterm.js renders its rows as DOM elements). */
function screen(): Promise<string> {
  return page
    .getByTestId("shell")
    .locator(".xterm-rows > div")
    .evaluateAll((rows) => rows.map((r) => r.textContent ?? "").join("\n"));
}

/** Waits until the terminal shows `text`. */
async function shows(text: string | RegExp): Promise<void> {
  const deadline = Date.now() + uiTimeout;
  for (;;) {
    const now = await screen();
    if (typeof text === "string" ? now.includes(text) : text.test(now)) return;
    if (Date.now() > deadline) throw new Error(`the terminal never showed ${text}; it shows:\n${now}`);
    await Bun.sleep(100);
  }
}

/** Waits until the shell's status line reads `text`; a timeout says what it read instead, and the screen. */
async function status(text: string | RegExp): Promise<void> {
  const line = page.getByTestId("shell-status");
  try {
    await line.getByText(text).waitFor(wait);
  } catch (e) {
    const seen = await line.textContent().catch(() => "(no status line)");
    throw new Error(
      `the shell's status never read ${text}; it reads "${seen}"; the terminal shows:\n${await screen()}`,
      {
        cause: e,
      },
    );
  }
}

/** The terminal's size as the page reports it (the size it sent the server). */
async function termSize(): Promise<{ cols: number; rows: number }> {
  const shell = page.getByTestId("shell");
  return {
    cols: Number(await shell.getAttribute("data-cols")),
    rows: Number(await shell.getAttribute("data-rows")),
  };
}

describe("the container shell", () => {
  test("opens /bin/sh in the container and runs what is typed", async () => {
    await page.goto(`${env.server.url}/`);
    await page.getByLabel("Username").fill("admin", wait);
    await page.getByLabel("Password").fill(env.server.admin.password!);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Stacks" }).waitFor(wait);
    // Before logging in, the session check's 401 (and the icon's 404) are logged by chromium.
    problems.length = 0;
    await page.getByRole("link", { name: "Containers" }).click();
    await page.getByRole("link", { name }).click(wait);
    await page.getByRole("heading", { name: new RegExp(`Container ${name}`) }).waitFor(wait);
    await page.getByRole("button", { name: "Open shell" }).click();
    await status(/^connected/);
    // The prompt shows once sh runs (busybox: "/ # ").
    await shows("#");
    await page.getByTestId("shell").click();
    await page.keyboard.type("echo hi-$((6*7))\n");
    await shows(/^hi-42$/m);
    await screenshot(page, "readme-shell", false);
    expect(problems).toEqual([]);
  }, 60_000);

  test("a smaller window makes a smaller terminal, and the container's stty size follows", async () => {
    const before = await termSize();
    expect(before.cols).toBeGreaterThan(20);
    await page.keyboard.type("stty size\n");
    await shows(`${before.rows} ${before.cols}`);
    await page.setViewportSize({ width: 760, height: 900 });
    const deadline = Date.now() + uiTimeout;
    while ((await termSize()).cols === before.cols && Date.now() < deadline) await Bun.sleep(100);
    const after = await termSize();
    expect(after.cols).toBeLessThan(before.cols);
    await page.keyboard.type("clear; stty size\n");
    await shows(new RegExp(`^${after.rows} ${after.cols}$`, "m"));
    expect(await capture(page, "container-shell")).toEqual([]);
    expect(problems).toEqual([]);
  }, 60_000);

  test("a closed shell opens again; exit ends it from inside, its code shown", async () => {
    // By keyboard, as a keyboard user closes it. A mouse click here, right after the full-page
    // screenshot above, was lost 1 run in 5 on a busy machine: the press landed on the button at
    // the page's last scroll offset (929 px), chromium then laid the page out again at 878 px and
    // the release landed on the heading above, so no click (events recorded in the page).
    await page.getByRole("button", { name: "Close shell" }).press("Enter");
    await page.getByRole("button", { name: "Open shell" }).waitFor(wait);
    await page.getByRole("button", { name: "Open shell" }).click();
    await status(/^connected/);
    await shows("#");
    await page.getByTestId("shell").click();
    await page.keyboard.type("exit 3\n");
    await status("ended: exit 3");
    expect(problems).toEqual([]);
  }, 60_000);
});
