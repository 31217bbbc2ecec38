import { expect } from "bun:test";
import type { AcmeChallenge } from "@corral/api";
import { renderLoadBalancer } from "../src/lb/render.ts";
import {
  container,
  haproxyCheck,
  hostState,
  lbService,
  type makeCertificate,
  renderDir,
  service,
} from "./lb-fixtures.ts";

/** Shared setup of the rendering tests: every config they render is checked by the real haproxy. */

/** Target services and their containers of the rendering tests. */
export const web = service("1s1", "web");
export const api = service("1s2", "api", { labels: { tier: "api" } });
export const containers = [
  container("1i1", "web-1", "1s1", "10.42.0.2"),
  container("1i2", "web-2", "1s1", "10.42.0.3"),
  container("1i3", "api-1", "1s2", "10.42.0.4"),
];

/** Renders an LB with these settings and checks the result with the real haproxy. */
export function render(
  lbConfig: Record<string, unknown>,
  extra: { certificates?: ReturnType<typeof makeCertificate>[]; acmeChallenges?: AcmeChallenge[] } = {},
) {
  const dir = renderDir();
  const lb = lbService(lbConfig);
  const state = {
    ...hostState(1, [web, api, lb], containers, extra.certificates ?? []),
    acmeChallenges: extra.acmeChallenges ?? [],
  };
  const rendered = renderLoadBalancer({ lb, state }, { dir, configId: "test" });
  const checked = haproxyCheck(dir, rendered);
  expect(checked.output).not.toContain("[ALERT]");
  expect(checked.ok).toBe(true);
  return { ...rendered, dir, section: (header: string) => section(rendered.config, header) };
}

/** The lines of one section of a config. */
export function section(config: string, header: string): string[] {
  const blocks = config.split("\n\n");
  const block = blocks.find((b) => b.split("\n").some((l) => l === header));
  if (!block) throw new Error(`no section ${header} in\n${config}`);
  return block
    .split("\n")
    .slice(block.split("\n").indexOf(header) + 1)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A port rule on :80 to web:8080, with `extra` over it. */
export const rule = (extra: Record<string, unknown>) => ({
  sourcePort: 80,
  targetPort: 8080,
  serviceId: "1s1",
  ...extra,
});
