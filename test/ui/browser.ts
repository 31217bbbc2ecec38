/**
 * Helpers of the browser tests: Debian's chromium driven by playwright-core (no browser download),
 * screenshots saved under test-artifacts/ui/, and a server whose UI bundle was built for the run.
 */
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { buildUi, type UiBuild } from "@corral/ui";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";

/** Where screenshots go (kept by CI as artifacts, ignored by git). */
export const artifactsDir = join(import.meta.dir, "../../test-artifacts/ui");

/** The chromium binary Debian's package installs (scripts/host-setup.sh installs it). */
export function chromiumPath(): string {
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (existsSync(p)) return p;
  throw new Error("chromium is not installed: run scripts/host-setup.sh (apt-get install chromium)");
}

/** Launches headless chromium. */
export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: tests run as root in a container, where chromium's sandbox cannot start.
  return chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox"] });
}

/** Builds the UI bundle into a fresh temporary folder for this run. */
export function buildForTest(): Promise<UiBuild> {
  return buildUi(join(tmpdir(), `corral-ui-${process.pid}-${Date.now().toString(36)}`));
}

/**
 * Saves a screenshot as test-artifacts/ui/<name>.png: the full page, or only what the viewport
 * shows (`fullPage` false: the README's pictures, kept small).
 */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage });
  // A full-page capture lays the page out at its whole height for a moment, and chromium may keep
  // the scroll offset that allowed until the next layout. That layout can come with the next
  // click's press (focus moves) and scroll the page, and the release lands on another element: the
  // click is lost. Laying the page out now makes that rarer, not impossible (the shell test's
  // "Close shell", on a page scrolled to its end with the terminal focused, still lost 1 click in 5
  // under load, so that test closes it by keyboard).
  await page.evaluate(
    "document.body.getBoundingClientRect(), window.scrollTo(window.scrollX, window.scrollY)",
  );
}

/** Generous deadline for anything the page must show (a busy 2-core machine). */
export const uiTimeout = 20_000;

/**
 * The serious and critical accessibility violations axe finds on the page as it is now, one line
 * each (rule, impact, first offending element): the tests expect none.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes[0]?.target.join(" ") ?? "?"}`);
}

/** Saves a screenshot of the page and checks it with axe; answers the accessibility problems found. */
export async function capture(page: Page, name: string): Promise<string[]> {
  await screenshot(page, name);
  return (await accessibilityProblems(page)).map((p) => `${name}: ${p}`);
}

/**
 * How many pixels of a canvas are (nearly) the given colour: a graph's line, where axes and grid
 * are grey. Read in the page from the canvas's own pixels.
 */
export function pixelsOfColour(canvas: Locator, rgb: [number, number, number]): Promise<number> {
  return canvas.evaluate((el, [r, g, b]) => {
    // Typed by hand: the tests' TypeScript settings have no DOM library.
    const c = el as unknown as {
      width: number;
      height: number;
      getContext(kind: "2d"): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      };
    };
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4)
      if (
        Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) < 40 &&
        data[i + 3]! > 200
      )
        n++;
    return n;
  }, rgb);
}

/**
 * A page in a context of its own (axe opens a page beside it to assemble its results) whose console
 * errors and page errors, and with `responses` every answer of 400 or more, go to `problems`.
 */
export async function watchedPage(
  browser: Browser,
  problems: string[],
  options: { height?: number; responses?: boolean } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: options.height ?? 900 } });
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  if (options.responses)
    page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  return page;
}
