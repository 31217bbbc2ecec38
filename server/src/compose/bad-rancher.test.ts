// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose files, where ${VAR} is the syntax under test
import { describe, expect, test } from "bun:test";
import type { AppError } from "@corral/lib";
import { type Case, D, issuesOf, R, runCases, svc } from "../../testing/compose-support.ts";
import { type Issue, parseStack } from "./index.ts";

const cases: Case[] = [
  {
    name: "rancher service unknown",
    docker: svc(""),
    rancher: "web:\n  scale: 2\ndb:\n  scale: 1\n",
    at: `${R}:3:1`,
    reason: "service db is not in docker-compose.yml",
  },
  {
    name: "catalog: not a mapping (v2 layout)",
    docker: svc(""),
    rancher: "version: '2'\ncatalog: 5\nservices: {}\n",
    at: `${R}:2:10`,
    reason: "must be a mapping (the catalog block), not a number",
  },
  {
    name: "catalog questions not a list",
    docker: svc(""),
    rancher: "catalog:\n  version: 1\n  questions: {a: 1}\n",
    at: `${R}:3:14`,
    reason: "must be a list, not a mapping",
  },
  {
    name: "a catalog question not a mapping",
    docker: svc(""),
    rancher: ".catalog:\n  questions: [FOO]\n",
    at: `${R}:2:15`,
    reason: "a catalog question must be a mapping, not a string",
  },
  {
    name: "rancher scale type",
    docker: svc(""),
    rancher: "web:\n  scale: many\n",
    at: `${R}:2:10`,
    reason: "must be an integer",
  },
  {
    name: "health_check without port",
    docker: svc(""),
    rancher: "web:\n  health_check:\n    interval: 2000\n",
    at: `${R}:3:5`,
    reason: "needs a port",
  },
  {
    name: "health_check interval type",
    docker: svc(""),
    rancher: "web:\n  health_check:\n    port: 80\n    interval: fast\n",
    at: `${R}:4:15`,
    reason: "must be an integer",
  },
  {
    name: "health_check interval bound",
    docker: svc(""),
    rancher: "web:\n  health_check:\n    port: 80\n    interval: 5\n",
    at: `${R}:4:15`,
    reason: "between 100 and 3600000",
  },
  {
    name: "health_check strategy",
    docker: svc(""),
    rancher: "web:\n  health_check:\n    port: 80\n    strategy: sometimes\n",
    at: `${R}:4:15`,
    reason: "strategy must be",
  },
  {
    name: "unknown rancher key",
    docker: svc(""),
    rancher: "web:\n  scael: 2\n",
    at: `${R}:2:3`,
    reason: 'unknown rancher-compose key "scael"',
  },
  {
    name: "scale_policy min > max",
    docker: svc(""),
    rancher: "web:\n  scale_policy: {min: 3, max: 1}\n",
    at: `${R}:2:17`,
    reason: "greater than max",
  },
  {
    name: "rancher interpolation",
    docker: svc(""),
    rancher: "web:\n  scale: ${N:?how many}\n",
    at: `${R}:2:10`,
    reason: "required variable N",
  },
  {
    name: "rancher yaml error",
    docker: svc(""),
    rancher: "web:\n  scale: [1\n",
    at: `${R}:3:1`,
    reason: "YAML syntax",
  },
  {
    name: "too large",
    docker: `# ${"x".repeat(1024 * 1024)}\n`,
    at: `${D}:1:1`,
    reason: "larger than 1048576 bytes",
  },
  {
    name: "too many services",
    docker: `services:\n${Array.from({ length: 501 }, (_, i) => `  s${i}: {image: x}\n`).join("")}`,
    at: `${D}:2:3`,
    reason: "too many services: 501",
  },
];

describe("bad rancher-compose.yml, limits, and reporting", () => {
  runCases(cases);

  test("every problem is reported, in file order, and the message names each", () => {
    const docker = "services:\n  web:\n    image: a\n    ports: {}\n    scale: x\n  db:\n    links: [nope]\n";
    try {
      parseStack({ dockerCompose: docker, rancherCompose: "web:\n  retain_ip: maybe\n" });
      throw new Error("should fail");
    } catch (e) {
      const err = e as AppError;
      const issues = err.detail as Issue[];
      expect(issues.map((i) => `${i.file}:${i.line}`)).toEqual([
        "docker-compose.yml:4",
        "docker-compose.yml:5",
        "docker-compose.yml:6",
        "docker-compose.yml:7",
        "rancher-compose.yml:2",
      ]);
      expect(err.message.split("\n")[0]).toBe(
        "docker-compose.yml:4:12: services.web.ports: must be a list, not a mapping",
      );
      expect(err.message.split("\n")).toHaveLength(5);
    }
  });

  test("custom file names appear in issues", () => {
    try {
      parseStack({ dockerCompose: "- x\n", files: { docker: "stacks/blog/docker-compose.yml" } });
    } catch (e) {
      expect((e as AppError).message).toStartWith("stacks/blog/docker-compose.yml:1:1:");
    }
  });

  test("a billion laughs fails fast with a clear error", () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    // Expanded, this is 9^10 nodes: a parser that expands it never answers. The bound is far above
    // the few milliseconds a refusal takes, so a busy machine cannot fail it (100 ms did, at load 16+).
    const started = performance.now();
    const issues = issuesOf(lines.join("\n"));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(issues[0]?.message).toContain("aliases expand without bound");
  });

  test("aliases that expand past 4 MB are refused", () => {
    // Flat aliases of one big string: no nesting, so only the size budget catches it.
    const big = "x".repeat(100_000);
    const doc = `x-big: &big "${big}"\nservices:\n  web:\n    image: nginx\n    environment:\n${Array.from({ length: 60 }, (_, i) => `      V${i}: *big\n`).join("")}`;
    expect(issuesOf(doc)[0]?.message).toContain("expands to more than");
  });

  test("a service refused for its name is reported once, not again as missing from docker-compose.yml", () => {
    const issues = issuesOf("services:\n  my_web:\n    image: a\n", "services:\n  my_web:\n    scale: 2\n");
    expect(issues.map((i) => i.message)).toEqual([
      "invalid service name \"my_web\": use letters, digits and single '-' (a DNS label, at most 63)",
    ]);
  });
});
