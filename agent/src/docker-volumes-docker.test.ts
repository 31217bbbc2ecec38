import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import type { InstanceSpec } from "@corral/api";
import Docker from "dockerode";
import { shOutput, testSpec } from "../testing/docker-spec-kit.ts";
import { createDockerDriver } from "./dockerode-driver.ts";

// Integration tests: compose's volume keys reach the real engine. Top-level volumes with a driver
// and driver_opts (the local driver making a tmpfs), Rancher's per_container, volume_driver, and a
// log_opt without a driver (the engine's default driver).
const socket = "/var/run/docker.sock";
const haveDocker = existsSync(socket);
const run = Math.random().toString(36).slice(2, 8);
const vol = `corral-vt-${run}`;

function spec(suffix: string, overrides: Partial<InstanceSpec>): InstanceSpec {
  return testSpec(run, "corral-vol-test", suffix, overrides);
}

describe.skipIf(!haveDocker)("compose volume keys against dockerd", () => {
  const docker = new Docker({ socketPath: socket });
  const driver = createDockerDriver(socket);
  const sh = (dockerId: string, script: string) => shOutput(docker, dockerId, script);

  afterAll(async () => {
    const ours = await docker.listContainers({ all: true, filters: { label: [`test.run=${run}`] } });
    await Promise.all(ours.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
    const { Volumes } = await docker.listVolumes({ filters: { name: [vol] } });
    await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove({ force: true })));
  });

  const tmpfs = { driver: "local", driverOpts: { type: "tmpfs", device: "tmpfs", o: "size=8m" } };

  test("a top-level volume's driver and driver_opts make the volume (local driver, tmpfs)", async () => {
    const a = await driver.create(
      spec("a", {
        volumes: [`${vol}-shared:/data`],
        volumeTemplates: { [`${vol}-shared`]: { ...tmpfs, perContainer: false } },
      }),
      "1h1",
    );
    const b = await driver.create(
      spec("b", {
        volumes: [`${vol}-shared:/data:ro`],
        volumeTemplates: { [`${vol}-shared`]: { ...tmpfs, perContainer: false } },
      }),
      "1h1",
    );
    await driver.start(a.dockerId);
    await driver.start(b.dockerId);
    const info = await docker.getVolume(`${vol}-shared`).inspect();
    expect(info.Driver).toBe("local");
    expect(info.Options).toEqual({ type: "tmpfs", device: "tmpfs", o: "size=8m" });
    // Inside: a tmpfs of 8 MiB at /data, shared, read-only for b.
    expect(await sh(a.dockerId, "grep ' /data ' /proc/mounts")).toMatch(/^tmpfs \/data tmpfs rw.*size=8192k/);
    await sh(a.dockerId, "echo hello > /data/x");
    expect(await sh(b.dockerId, "cat /data/x")).toBe("hello\n");
    expect(await sh(b.dockerId, "echo no > /data/y 2>&1 || echo refused")).toContain("refused");
  });

  test("per_container: each container gets a volume of its own", async () => {
    const template = { [`${vol}-own`]: { ...tmpfs, perContainer: true } };
    const c = await driver.create(
      spec("c", { volumes: [`${vol}-own:/own`], volumeTemplates: template }),
      "1h1",
    );
    const d = await driver.create(
      spec("d", { volumes: [`${vol}-own:/own`], volumeTemplates: template }),
      "1h1",
    );
    await driver.start(c.dockerId);
    await driver.start(d.dockerId);
    await sh(c.dockerId, "echo c > /own/who");
    expect(await sh(d.dockerId, "cat /own/who 2>/dev/null || echo none")).toBe("none\n");
    const names = (await docker.listVolumes({ filters: { name: [`${vol}-own`] } })).Volumes.map(
      (v) => v.Name,
    );
    expect(names.sort()).toEqual([`${vol}-own_${c.name}`, `${vol}-own_${d.name}`].sort());
  });

  test("volume_driver is the engine's driver for the container's named volumes", async () => {
    const e = await driver.create(spec("e", { volumes: [`${vol}-drv:/v`], volumeDriver: "local" }), "1h1");
    const info = await docker.getContainer(e.dockerId).inspect();
    expect(info.HostConfig.VolumeDriver).toBe("local");
    await driver.start(e.dockerId);
    expect((await docker.getVolume(`${vol}-drv`).inspect()).Driver).toBe("local");
  });

  test("log_opt without a driver: the engine's default driver with those options", async () => {
    const g = await driver.create(
      spec("g", { logConfig: { driver: "", config: { "max-size": "1m" } } }),
      "1h1",
    );
    const info = await docker.getContainer(g.dockerId).inspect();
    const daemon = await docker.info();
    expect(info.HostConfig.LogConfig).toEqual({ Type: daemon.LoggingDriver, Config: { "max-size": "1m" } });
  });
});
