import { describe, expect, test } from "bun:test";
import { type Case, D, runCases, svc } from "../../testing/compose-support.ts";
import { parseStack } from "./index.ts";

const secretsOf = (dockerCompose: string) =>
  parseStack({ dockerCompose }).spec?.services.find((s) => s.name === "web")?.launchConfig?.secrets;

describe("compose secrets", () => {
  test("short and long forms, mapped through top-level external names", () => {
    const file = [
      "version: '3.1'",
      "secrets:",
      "  db:",
      "    external: true",
      "  api:",
      "    external:",
      "      name: api-key-prod",
      "services:",
      "  web:",
      "    image: nginx",
      "    secrets:",
      "      - db",
      "      - source: api",
      "        target: api.key",
      "        uid: '1000'",
      "        gid: 1000",
      "        mode: 0400",
      "",
    ].join("\n");
    expect(secretsOf(file)).toEqual([
      { secretId: "db" },
      { secretId: "api-key-prod", name: "api.key", uid: "1000", gid: "1000", mode: "0400" },
    ]);
  });

  test("an undeclared source names the environment's secret as written", () => {
    expect(secretsOf(svc("    secrets: [token]\n"))).toEqual([{ secretId: "token" }]);
  });
});

const cases: Case[] = [
  {
    name: "file secrets",
    docker: "version: '3.1'\nsecrets:\n  db:\n    file: ./db.txt\nservices: {}\n",
    at: `${D}:4:5`,
    reason: "file sources are not read here",
  },
  { name: "secrets not a list", docker: svc("    secrets: 5\n"), at: `${D}:4:14`, reason: "must be a list" },
  {
    name: "target with a slash",
    docker: svc("    secrets:\n      - source: a\n        target: ../etc/passwd\n"),
    at: `${D}:6:17`,
    reason: "must be a file name",
  },
  {
    name: "bad mode",
    docker: svc("    secrets:\n      - source: a\n        mode: rw\n"),
    at: `${D}:6:15`,
    reason: "octal mode",
  },
  {
    name: "no source",
    docker: svc("    secrets:\n      - target: a\n"),
    at: `${D}:5:9`,
    reason: "needs a source",
  },
  {
    name: "unknown long-form key",
    docker: svc("    secrets:\n      - source: a\n        junk: 1\n"),
    at: `${D}:6:9`,
    reason: 'unknown key "junk"',
  },
];

describe("bad compose secrets", () => runCases(cases));
