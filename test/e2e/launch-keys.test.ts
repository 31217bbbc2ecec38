/**
 * End to end, the launch keys for host namespaces, confinement and limits: containers created
 * through the API (and a service from a compose stack) with each key, once the admin's container
 * policy allows what needs allowing, run in Docker with every key applied (`docker inspect` and
 * what the process sees); under the default policy the same container is refused and Docker never
 * hears of it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./api-client.ts";
import {
  docker,
  dockerInspect,
  type Env,
  removeDockerLeftovers,
  sleepCommand,
  startEnv,
  testImage,
  uniqueName,
} from "./harness.ts";

let env: Env;
const hostDir = mkdtempSync(join(tmpdir(), "corral-e2e-bind-"));

beforeAll(async () => {
  env = await startEnv();
}, 60_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
  rmSync(hostDir, { recursive: true, force: true });
}, 60_000);

/** Runs a shell command in a running container and returns its output (exit code too). */
async function sh(dockerId: string, script: string): Promise<{ code: number; out: string }> {
  const r = await docker("exec", dockerId, "sh", "-c", script);
  return { code: r.code, out: `${r.stdout}${r.stderr}`.trim() };
}

async function setPolicy(containerPolicy: Record<string, unknown>): Promise<void> {
  const r = await env.api.request("PUT", `/v2-beta/projects/${env.api.projectId}`, { containerPolicy });
  expect(r.status).toBe(200);
}

describe("launch keys reach the container", () => {
  test("under the default policy host namespaces are refused and Docker hears nothing", async () => {
    const name = uniqueName("refused");
    const r = await env.api.request("POST", env.api.project("/containers"), {
      name,
      imageUuid: `docker:${testImage}`,
      command: sleepCommand,
      pidMode: "host",
    });
    expect(r.status).toBe(422);
    expect(r.body.message).toContain("allowHostPid");
    expect((await docker("ps", "-aq", "--filter", `name=${name}`)).stdout).toBe("");
  }, 60_000);

  test("confinement, limits, mounts, resolver and stop settings", async () => {
    await setPolicy({
      allowedCapabilities: ["NET_ADMIN"],
      allowedDevices: ["/dev/fuse"],
      allowedHostPaths: [{ pathPrefix: hostDir, readOnly: true }],
      allowSecurityOptOverrides: true,
    });
    const created = await env.api.createContainer({
      name: uniqueName("keys"),
      imageUuid: `docker:${testImage}`,
      command: sleepCommand,
      readOnly: true,
      tmpfs: { "/run": "size=8m", "/scratch": "" },
      shmSize: 32 * 1024 * 1024,
      ipcMode: "shareable",
      ulimits: [{ name: "nofile", soft: 1000, hard: 2000 }],
      sysctls: { "net.core.somaxconn": "512" },
      securityOpt: ["no-new-privileges", "seccomp=unconfined"],
      capAdd: ["NET_ADMIN"],
      capDrop: ["MKNOD"],
      devices: ["/dev/fuse"],
      dataVolumes: [`${hostDir}:/hostdir:ro`],
      dnsSearch: ["corral.test"],
      extraHosts: ["db.corral.test:10.0.0.9"],
      stopSignal: "SIGINT",
      stopTimeout: 7,
    });
    const running = await env.api.waitContainer(created.id, "running", 60_000);
    const info = await dockerInspect(running.externalId);
    expect(info.HostConfig).toMatchObject({
      ReadonlyRootfs: true,
      Tmpfs: { "/run": "size=8m", "/scratch": "" },
      ShmSize: 32 * 1024 * 1024,
      IpcMode: "shareable",
      Ulimits: [{ Name: "nofile", Soft: 1000, Hard: 2000 }],
      Sysctls: { "net.core.somaxconn": "512" },
      SecurityOpt: ["no-new-privileges", "seccomp=unconfined"],
      CapAdd: ["NET_ADMIN"],
      CapDrop: ["MKNOD"],
      Devices: [{ PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" }],
      Binds: [`${hostDir}:/hostdir:ro`],
      ExtraHosts: ["db.corral.test:10.0.0.9"],
    });
    expect(info.HostConfig.DnsSearch).toContain("corral.test");
    expect(info.Config).toMatchObject({ StopSignal: "SIGINT", StopTimeout: 7 });
    // And the process sees them.
    const id = running.externalId as string;
    expect((await sh(id, "touch /rootfs-write")).code).not.toBe(0);
    expect((await sh(id, "touch /run/ok /scratch/ok && echo yes")).out).toBe("yes");
    // The container's own process: this engine gives `docker exec` processes soft = hard (2000).
    expect((await sh(id, "grep 'open files' /proc/1/limits")).out).toMatch(/open files\s+1000\s+2000\s/);
    expect((await sh(id, "cat /proc/sys/net/core/somaxconn")).out).toBe("512");
    expect((await sh(id, "grep ^NoNewPrivs /proc/self/status")).out).toMatch(/NoNewPrivs:\s+1/);
    expect((await sh(id, "grep ^Seccomp: /proc/self/status")).out).toMatch(/Seccomp:\s+0/);
    expect((await sh(id, "test -c /dev/fuse && echo dev")).out).toBe("dev");
    expect((await sh(id, "touch /hostdir/x")).code).not.toBe(0);
    expect((await sh(id, "grep db.corral.test /etc/hosts")).out).toContain("10.0.0.9");
    expect((await sh(id, "grep -c /dev/shm /proc/mounts && df -k /dev/shm | tail -1")).out).toContain(
      "32768",
    );
  }, 120_000);

  test("host pid, ipc and uts, from a compose stack, once the admin allows them", async () => {
    await setPolicy({ allowHostPid: true, allowHostIpc: true, allowHostUts: true });
    const dockerCompose = [
      "services:",
      "  hostns:",
      `    image: ${testImage}`,
      `    command: ${JSON.stringify(sleepCommand)}`,
      "    pid: host",
      "    ipc: host",
      "    uts: host",
      "    read_only: true",
      "",
    ].join("\n");
    const stack = await env.api.request("POST", env.api.project("/stacks"), {
      name: uniqueName("ns"),
      dockerCompose,
    });
    expect(stack.status).toBe(201);
    const container = await waitFor(
      "the stack's container to run",
      async () => {
        const list = await env.api.request("GET", env.api.project(`/containers?stackId=${stack.body.id}`));
        return list.body.data?.find((c: { state: string }) => c.state === "running");
      },
      90_000,
    );
    const info = await dockerInspect(container.externalId);
    expect(info.HostConfig).toMatchObject({
      PidMode: "host",
      IpcMode: "host",
      UTSMode: "host",
      ReadonlyRootfs: true,
    });
    // The host's processes are visible, and its hostname is the container's.
    const id = container.externalId as string;
    expect((await sh(id, `test -d /proc/${process.pid} && echo seen`)).out).toBe("seen");
    expect((await sh(id, "hostname")).out).toBe((await Bun.$`hostname`.text()).trim());
    // exportconfig gives the keys back.
    const exported = await env.api.request(
      "POST",
      env.api.project(`/stacks/${stack.body.id}?action=exportconfig`),
      {},
    );
    for (const key of ["pid: host", "ipc: host", "uts: host", "read_only: true"])
      expect(exported.body.dockerComposeConfig).toContain(key);
  }, 150_000);
});
