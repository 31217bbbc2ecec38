// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files use ${VAR} interpolation
/** Unit tests of what the commands compute locally: files, merging, variables, names, errors, status. */
import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { errorLines, stackNameOf, UsageError } from "./cli.ts";
import { ApiError } from "./client.ts";
import {
  loadComposeFiles,
  mergeCompose,
  rancherScales,
  readEnvFile,
  referencedVariables,
  serviceNames,
  stackEnvironment,
  withUpgradeStrategy,
} from "./compose-files.ts";
import { isSettled, serviceLine } from "./converge.ts";
import { parseScaleArgs } from "./scale.ts";
import { folder } from "./test-io.ts";

describe("compose files", () => {
  test("defaults and -f: rancher files by name, rancher-compose.yml beside the docker file", () => {
    const dir = folder("app", {
      "docker-compose.yml": "a",
      "rancher-compose.yml": "b",
      "sub/docker-compose.yml": "c",
      "sub/rancher-compose.yml": "d",
    });
    expect(loadComposeFiles(dir, ["sub/docker-compose.yml"])).toMatchObject({
      dockerCompose: "c",
      rancherCompose: "d",
    });
    expect(loadComposeFiles(dir, [])).toMatchObject({ dockerCompose: "a", rancherCompose: "b" });
    expect(loadComposeFiles(dir, ["rancher-compose.yml"])).toMatchObject({
      dockerCompose: "a",
      rancherFiles: ["rancher-compose.yml"],
    });
    expect(() => loadComposeFiles(dir, ["missing.yml"])).toThrow("missing.yml: no such file");
    const bare = folder("bare", { "docker-compose.yaml": "x" });
    expect(loadComposeFiles(bare, [])).toMatchObject({
      dockerCompose: "x",
      rancherCompose: "",
      rancherFiles: [],
    });
  });

  test("merging follows docker-compose's override rules", () => {
    const merged = mergeCompose(
      {
        version: "2",
        services: {
          web: { image: "a", ports: ["80"], environment: ["A=1", "B=1"], volumes: ["/x:/data", "/y:/logs"] },
        },
      },
      {
        services: {
          web: { image: "b", ports: ["81"], environment: { B: "2" }, volumes: ["/z:/data"] },
          db: { image: "r" },
        },
      },
    );
    expect(merged).toEqual({
      version: "2",
      services: {
        web: {
          image: "b",
          ports: ["80", "81"],
          environment: { A: "1", B: "2" },
          volumes: ["/z:/data", "/y:/logs"],
        },
        db: { image: "r" },
      },
    });
  });

  test("only the variables the files use are sent; the env file adds all of its own and wins", () => {
    expect(referencedVariables("a: $A ${B:-x} ${C:-${D}} $$E $$ {F}", "g: ${G?no}")).toEqual([
      "A",
      "B",
      "C",
      "D",
      "G",
    ]);
    const files = { dockerCompose: "image: x:${TAG}", rancherCompose: "", dockerFiles: [], rancherFiles: [] };
    expect(stackEnvironment(files, { TAG: "1", SECRET: "s" }, { OTHER: "o" })).toEqual({
      TAG: "1",
      OTHER: "o",
    });
    expect(stackEnvironment(files, { TAG: "1" }, { TAG: "2" })).toEqual({ TAG: "2" });
  });

  test("env files: comments, export, quotes; bad lines are usage errors with file:line", () => {
    const dir = folder("envs", {
      ".env": "# c\n\nexport A=1\nB = 'two words'\nC=\"x\"\nD=v # note\n",
      "bad.env": "A=1\nnope\n",
    });
    expect(readEnvFile(dir, ".env")).toEqual({ A: "1", B: "two words", C: "x", D: "v" });
    expect(() => readEnvFile(dir, "bad.env")).toThrow(UsageError);
    expect(() => readEnvFile(dir, "bad.env")).toThrow("bad.env:2: expected KEY=value");
  });

  test("service names and rancher-compose scales, v1 and v2 layouts", () => {
    expect(serviceNames("version: '2'\nservices:\n  web: {}\n  db: {}\n")).toEqual(["web", "db"]);
    expect(serviceNames("web:\n  image: x\n")).toEqual(["web"]);
    expect(serviceNames(": : bad [")).toEqual([]);
    const scales = rancherScales("web:\n  scale: 3\ndb:\n  scale: ${N:-2}\nlb:\n  scale: many\n", {});
    expect([...scales]).toEqual([
      ["web", 3],
      ["db", 2],
    ]);
    expect(rancherScales("services:\n  db:\n    scale: ${N}\n", { N: "5" }).get("db")).toBe(5);
  });

  test("--batch-size and --interval become upgrade_strategy of every service", () => {
    const files = {
      dockerCompose: "version: '2'\nservices:\n  web: {image: a}\n  db: {image: b}\n",
      rancherCompose:
        "version: '2'\nservices:\n  web:\n    scale: 2\n    upgrade_strategy: {start_first: true}\n",
      dockerFiles: [],
      rancherFiles: [],
    };
    expect(withUpgradeStrategy(files, {})).toBe(files.rancherCompose);
    expect(parse(withUpgradeStrategy(files, { batchSize: 2, intervalMillis: 500 }))).toEqual({
      version: "2",
      services: {
        web: { scale: 2, upgrade_strategy: { start_first: true, batch_size: 2, interval_millis: 500 } },
        db: { upgrade_strategy: { batch_size: 2, interval_millis: 500 } },
      },
    });
    expect(
      parse(withUpgradeStrategy({ ...files, rancherCompose: "" }, { batchSize: 1 })).services.db,
    ).toEqual({
      upgrade_strategy: { batch_size: 1 },
    });
  });
});

describe("cli helpers", () => {
  test("stack names from folder names", () => {
    expect(stackNameOf("/home/me/My App_1")).toBe("my-app-1");
    expect(stackNameOf("/srv/--x--")).toBe("x");
    expect(stackNameOf("/")).toBe("default");
    expect(stackNameOf(`/${"a".repeat(70)}`)).toHaveLength(63);
  });

  test("compose errors print as file:line:column lines with the user's file names", () => {
    const e = new ApiError(422, "InvalidFormat", "x", [
      { file: "docker-compose.yml", line: 12, column: 5, path: "services.web", message: "no image" },
      { file: "rancher-compose.yml", line: 1, column: 1, path: "", message: "bad" },
    ]);
    expect(errorLines(e, (f) => (f.startsWith("docker") ? "prod.yml" : f))).toEqual([
      "prod.yml:12:5: services.web: no image",
      "rancher-compose.yml:1:1: bad",
    ]);
    expect(errorLines(new ApiError(409, "NotUnique", "taken", { field: "name" }))).toEqual(["taken"]);
  });

  test("scale arguments", () => {
    expect(parseScaleArgs(["web=3", "other/db=0"], "shop")).toEqual([
      { stack: "shop", service: "web", scale: 3 },
      { stack: "other", service: "db", scale: 0 },
    ]);
    for (const bad of ["web", "web=", "=3", "web=1.5", "a/b/c=1", "web=99999"])
      expect(() => parseScaleArgs([bad], "s")).toThrow(UsageError);
  });

  test("service status lines and when a service is settled", () => {
    const svc = {
      id: "1s1",
      type: "service",
      name: "web",
      state: "active",
      scale: 3,
      currentScale: 2,
      healthState: "initializing",
    };
    expect(serviceLine(svc)).toBe("web: 2/3 running, initializing");
    expect(serviceLine({ ...svc, state: "activating", schedulingMessage: "no host" })).toBe(
      "web: 2/3 running, initializing (activating; no host)",
    );
    expect(isSettled(svc, ["active"])).toBe(false);
    expect(isSettled({ ...svc, currentScale: 3, healthState: "healthy" }, ["active"])).toBe(true);
    expect(isSettled({ ...svc, currentScale: 3, healthState: "started-once" }, ["active"])).toBe(true);
    expect(
      isSettled({ ...svc, state: "upgraded", currentScale: 3, healthState: "healthy" }, ["active"]),
    ).toBe(false);
    expect(
      isSettled({ ...svc, state: "upgraded", currentScale: 3, healthState: "healthy" }, [
        "active",
        "upgraded",
      ]),
    ).toBe(true);
    expect(isSettled({ ...svc, kind: "externalService", currentScale: 0 }, ["active"])).toBe(true);
    expect(isSettled({ ...svc, scale: 0, currentScale: 0 }, ["active"])).toBe(true);
    expect(isSettled({ ...svc, state: "inactive" }, ["active"])).toBe(true);
  });
});
