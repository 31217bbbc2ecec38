import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { loadConfig } from "../config/load-config.ts";
import type { ServiceSpec } from "../services/service-schema.ts";
import {
  compareVersions,
  configuredEngine,
  findEngine,
  listEngines,
  normalizeEngineVersion,
} from "./catalog.ts";
import { addEngineFile, bootEngine, chooseEngine, type EngineHost, engineStatus } from "./engine-control.ts";
import { driversInUse, storageProblem, withEngine } from "./engine-spec.ts";

/** A root with the built-in engine 20.10.24 and a stored 26.1.5 file. */
function machine(): string {
  const root = mkdtempSync(join(tmpdir(), "corral-engine-"));
  mkdirSync(join(root, "usr/share/corral"), { recursive: true });
  writeFileSync(join(root, "usr/share/corral/engine.json"), '{"version":"docker-20.10.24"}\n');
  mkdirSync(join(root, "var/lib/corral/engines"), { recursive: true });
  writeFileSync(join(root, "var/lib/corral/engines/docker-26.1.5.tar.gz"), "tar");
  writeFileSync(join(root, "var/lib/corral/engines/notes.txt"), "not an engine");
  mkdirSync(join(root, "proc"));
  writeFileSync(join(root, "proc/cmdline"), "console=ttyS0\n");
  return root;
}

const userDocker = {
  name: "user-docker",
  image: "corral/os-docker:latest",
  volumes: [
    "/run:/run",
    "/var/lib/user-docker:/var/lib/docker",
    "/usr/sbin/dockerd:/usr/sbin/dockerd:ro",
    "/usr/bin/containerd:/usr/bin/containerd:ro",
    "/usr/bin/docker-init:/usr/bin/docker-init:ro",
    "/var/lib/corral/docker-tls:/etc/docker/tls:ro",
  ],
} as ServiceSpec;
const other = {
  name: "console",
  image: "corral/os-console:latest",
  volumes: ["/usr/bin/docker:/usr/bin/docker:ro"],
} as ServiceSpec;

/** System Docker as far as engines use it: which images it has, and loads that add one. */
function fakeDocker(images: Set<string>, loads: string[], adds = "corral/os-engine:docker-26.1.5"): Docker {
  return {
    getImage: (name: string) => ({
      inspect: async () => {
        if (!images.has(name)) throw new Error("no such image");
        return {};
      },
    }),
    loadImage: async () => {
      loads.push(adds);
      images.add(adds);
      const { Readable } = await import("node:stream");
      return Readable.from([Buffer.from('{"stream":"Loaded image"}')]);
    },
  } as unknown as Docker;
}

function fakeHost(root: string, docker?: Docker) {
  const runs: string[] = [];
  let current = listEngines(root)[0]!;
  const host: EngineHost = {
    root,
    config: () => loadConfig({ root }),
    docker: () => docker,
    current: () => current,
    run: async (e) => {
      runs.push(e.version);
      current = e;
    },
  };
  return { host, runs };
}

describe("engine catalog", () => {
  test("versions are docker-<version>; the built-in one first, stored files after, by version", () => {
    expect(normalizeEngineVersion("26.1.5")).toBe("docker-26.1.5");
    expect(normalizeEngineVersion("docker-20.10.24")).toBe("docker-20.10.24");
    expect(() => normalizeEngineVersion("latest; rm -rf /")).toThrow("not an engine version");
    expect(compareVersions("docker-20.10.24", "docker-26.1.5")).toBeLessThan(0);
    expect(compareVersions("docker-9.0", "docker-10.0")).toBeLessThan(0);
    const root = machine();
    writeFileSync(join(root, "var/lib/corral/engines/docker-24.0.9.tar"), "tar");
    expect(listEngines(root).map((e) => [e.version, e.builtin])).toEqual([
      ["docker-20.10.24", true],
      ["docker-24.0.9", false],
      ["docker-26.1.5", false],
    ]);
    expect(listEngines(root)[2]!.image).toBe("corral/os-engine:docker-26.1.5");
  });

  test("an unknown version is refused naming the ones there are", () => {
    const root = machine();
    expect(() => findEngine(listEngines(root), "19.03.15")).toThrow(
      "no engine docker-19.03.15 on this machine (have: docker-20.10.24, docker-26.1.5)",
    );
  });

  test("rancher.docker.engine is read as corral.docker.engine", () => {
    const root = machine();
    writeFileSync(join(root, "proc/cmdline"), "rancher.docker.engine=docker-26.1.5\n");
    expect(configuredEngine(loadConfig({ root }))).toBe("docker-26.1.5");
  });
});

describe("engine spec", () => {
  test("another engine runs from its image without the host's engine binaries; the rest is kept", () => {
    const root = machine();
    const [builtin, newer] = listEngines(root);
    expect(withEngine([userDocker, other], builtin!)).toEqual([userDocker, other]);
    const [ud, con] = withEngine([userDocker, other], newer!);
    expect(ud!.image).toBe("corral/os-engine:docker-26.1.5");
    expect(ud!.volumes).toEqual([
      "/run:/run",
      "/var/lib/user-docker:/var/lib/docker",
      "/var/lib/corral/docker-tls:/etc/docker/tls:ro",
    ]);
    expect(con).toBe(other);
  });

  test("a data root stored with a driver the engine lacks is refused", () => {
    const data = mkdtempSync(join(tmpdir(), "corral-data-"));
    expect(storageProblem("docker-26.1.5", data)).toBeUndefined();
    mkdirSync(join(data, "image/overlay2/layerdb"), { recursive: true });
    mkdirSync(join(data, "image/aufs"), { recursive: true }); // empty: not in use
    expect(driversInUse(data)).toEqual(["overlay2"]);
    expect(storageProblem("docker-26.1.5", data)).toBeUndefined();
    mkdirSync(join(data, "image/aufs/imagedb"), { recursive: true });
    expect(storageProblem("docker-26.1.5", data)).toContain("stored with aufs");
    expect(storageProblem("docker-20.10.24", data)).toBeUndefined();
    expect(storageProblem("docker-26.1.5", mkdtempSync(join(tmpdir(), "d-")), "devicemapper")).toContain(
      "no storage driver 'devicemapper'",
    );
  });
});

describe("engine switch and enable", () => {
  test("switch loads the image, saves corral.docker.engine and runs it now", async () => {
    const root = machine();
    const loads: string[] = [];
    const { host, runs } = fakeHost(root, fakeDocker(new Set(), loads));
    await chooseEngine(host, { version: "26.1.5" }, true);
    expect(loads).toEqual(["corral/os-engine:docker-26.1.5"]);
    expect(runs).toEqual(["docker-26.1.5"]);
    expect(readFileSync(join(root, "var/lib/corral/conf/cloud-config.yml"), "utf8")).toContain(
      "engine: docker-26.1.5",
    );
    expect(engineStatus(host)).toMatchObject({ current: "docker-26.1.5", enabled: "docker-26.1.5" });
    // Back to the built-in engine: nothing to load.
    await chooseEngine(host, { version: "docker-20.10.24" }, true);
    expect(loads.length).toBe(1);
    expect(runs).toEqual(["docker-26.1.5", "docker-20.10.24"]);
  });

  test("enable only saves the choice; list shows it for the next boot", async () => {
    const root = machine();
    const { host, runs } = fakeHost(root);
    await chooseEngine(host, { version: "26.1.5" }, false);
    expect(runs).toEqual([]);
    expect(engineStatus(host)).toMatchObject({ current: "docker-20.10.24", enabled: "docker-26.1.5" });
  });

  test("a file that does not hold its engine's image is refused and nothing changes", async () => {
    const root = machine();
    const { host, runs } = fakeHost(root, fakeDocker(new Set(), [], "corral/os-engine:other"));
    await expect(chooseEngine(host, { version: "26.1.5" }, true)).rejects.toThrow("does not hold the image");
    expect(runs).toEqual([]);
    expect(engineStatus(host).enabled).toBe("docker-20.10.24");
  });

  test("engine files come only from /home or /var/lib/corral, named docker-<version>.tar.gz", () => {
    const root = machine();
    mkdirSync(join(root, "home/corral"), { recursive: true });
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "home/corral/docker-27.0.1.tar.gz"), "tar");
    writeFileSync(join(root, "etc/docker-27.0.2.tar.gz"), "tar");
    writeFileSync(join(root, "home/corral/engine.tar.gz"), "tar");
    expect(addEngineFile(root, "/home/corral/docker-27.0.1.tar.gz")).toBe("docker-27.0.1");
    expect(readFileSync(join(root, "var/lib/corral/engines/docker-27.0.1.tar.gz"), "utf8")).toBe("tar");
    expect(() => addEngineFile(root, "/etc/docker-27.0.2.tar.gz")).toThrow("from /home or /var/lib/corral");
    expect(() => addEngineFile(root, "/home/corral/engine.tar.gz")).toThrow("named docker-<version>");
    expect(() => addEngineFile(root, "/home/corral/docker-1.0.tar.gz")).toThrow("no such file");
  });

  test("a boot falls back to the built-in engine, saying why, when the chosen one cannot run", async () => {
    const root = machine();
    const warnings: string[] = [];
    const docker = fakeDocker(new Set(), []);
    let config = loadConfig({ root });
    expect((await bootEngine(root, config, docker, (w) => warnings.push(w))).version).toBe("docker-20.10.24");
    writeFileSync(join(root, "proc/cmdline"), "corral.docker.engine=docker-26.1.5\n");
    config = loadConfig({ root });
    expect((await bootEngine(root, config, docker, (w) => warnings.push(w))).version).toBe("docker-26.1.5");
    expect(warnings).toEqual([]);
    writeFileSync(join(root, "proc/cmdline"), "corral.docker.engine=docker-30.0.0\n");
    config = loadConfig({ root });
    expect((await bootEngine(root, config, docker, (w) => warnings.push(w))).version).toBe("docker-20.10.24");
    expect(warnings[0]).toContain("engine docker-30.0.0: no engine docker-30.0.0");
  });
});
