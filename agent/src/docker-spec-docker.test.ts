import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { healthCheckSchema, type InstanceSpec, labelKeys } from "@corral/api";
import Docker from "dockerode";
import { shOutput, testSpec } from "../testing/docker-spec-kit.ts";
import { createDockerDriver } from "./dockerode-driver.ts";
import { processCapabilities } from "./privileged.ts";

// Integration tests: Docker accepts what toCreateOptions makes of the richer spec fields.
const socket = "/var/run/docker.sock";
const haveDocker = existsSync(socket);
const run = Math.random().toString(36).slice(2, 8);

function spec(suffix: string, overrides: Partial<InstanceSpec>): InstanceSpec {
  return testSpec(run, "corral-spec-test", suffix, overrides);
}

describe.skipIf(!haveDocker)("richer instance specs against dockerd", () => {
  const docker = new Docker({ socketPath: socket });
  const driver = createDockerDriver(socket);
  const sh = (dockerId: string, script: string) => shOutput(docker, dockerId, script);

  afterAll(async () => {
    const ours = await docker.listContainers({ all: true, filters: { label: [`test.run=${run}`] } });
    await Promise.all(ours.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  });

  test("volumes_from, DNS, hosts, devices, logging, stop settings and the health label", async () => {
    const data = await driver.create(spec("data", { volumes: ["/shared"] }), "1h1");
    const healthCheck = healthCheckSchema.parse({ port: 80 });
    const app = await driver.create(
      spec("app", {
        volumesFrom: [`${data.name}:ro`],
        expose: ["8080"],
        domainName: "example.com",
        hostname: "app",
        capDrop: ["NET_RAW"],
        devices: ["/dev/null:/dev/corral-null:rw"],
        dns: ["10.9.9.9"],
        dnsSearch: ["corral.internal"],
        extraHosts: ["db:10.0.0.9"],
        logConfig: { driver: "json-file", config: { "max-size": "1m" } },
        stopSignal: "SIGINT",
        stopTimeout: 7,
        healthCheck,
      }),
      "1h1",
    );
    await driver.start(app.dockerId);
    const info = await docker.getContainer(app.dockerId).inspect();
    expect(info.Config.Labels[labelKeys.healthCheck]).toBe(JSON.stringify(healthCheck));
    expect(info.Config).toMatchObject({ Domainname: "example.com", StopSignal: "SIGINT", StopTimeout: 7 });
    expect(Object.keys(info.Config.ExposedPorts ?? {})).toEqual(["8080/tcp"]);
    expect(info.HostConfig.LogConfig).toEqual({ Type: "json-file", Config: { "max-size": "1m" } });
    const out = await sh(
      app.dockerId,
      "cat /etc/resolv.conf /etc/hosts; ls /dev/corral-null; grep -c shared /proc/mounts; touch /shared/x || echo read-only",
    );
    expect(out).toContain("nameserver 10.9.9.9");
    expect(out).toContain("search corral.internal");
    expect(out).toMatch(/10\.0\.0\.9\s+db/);
    expect(out).toContain("/dev/corral-null");
    expect(out).toContain("read-only");
  });

  test("a container joining another's network namespace", async () => {
    const owner = await driver.create(spec("owner", {}), "1h1");
    await driver.start(owner.dockerId);
    const joined = await driver.create(
      spec("joined", { networkMode: `container:${owner.name}`, dns: ["10.9.9.9"], expose: ["80"] }),
      "1h1",
    );
    await driver.start(joined.dockerId);
    expect((await driver.inspect(joined.dockerId)).state).toBe("running");
  });

  test("privileged runs: as such where Docker can grant it, else as the equivalent", async () => {
    const created = await driver.create(spec("priv", { privileged: true }), "1h1");
    await driver.start(created.dockerId);
    expect((await driver.inspect(created.dockerId)).state).toBe("running");
    const { HostConfig } = await docker.getContainer(created.dockerId).inspect();
    if (!HostConfig.Privileged) {
      const { missing } = processCapabilities();
      expect(missing.length).toBeGreaterThan(0);
      expect(HostConfig).toMatchObject({
        CapAdd: ["ALL"],
        CapDrop: missing,
        DeviceCgroupRules: ["a *:* rwm"],
      });
      expect(HostConfig.SecurityOpt).toContain("seccomp=unconfined");
      expect(HostConfig.MaskedPaths).toEqual([]);
    }
    // Either way the container may do what privileged allows: create a device node, write cgroups.
    const out = await sh(
      created.dockerId,
      "mknod /tmp/null c 1 3 && echo mknod-ok; echo procsys-ro=$(grep -c ' /proc/sys proc ro' /proc/mounts)",
    );
    expect(out).toContain("mknod-ok");
    // Unconfined system paths: /proc/sys is not remounted read-only.
    expect(out).toContain("procsys-ro=0");
    // No trial container is left behind.
    const trials = await docker.listContainers({ all: true, filters: { name: ["corral-privileged-trial"] } });
    expect(trials).toEqual([]);
  });
});
