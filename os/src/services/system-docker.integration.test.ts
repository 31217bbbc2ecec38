import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "@corral/lib";
import { DaemonKeeper } from "./daemon-keeper.ts";
import { DockerodeEngine } from "./dockerode-engine.ts";
import { parseServiceFile } from "./service-file.ts";
import { Supervisor } from "./supervisor.ts";
import { ImageLoader, type SystemDocker, startSystemDocker } from "./system-docker.ts";

/**
 * The real System Docker path: a second dockerd on a temp socket and data root (`--bridge none
 * --iptables=false`, its own managed containerd), a `docker save` tarball loaded into it, and
 * services from service.yml text run by the supervisor in order (a one-shot, health checks run in
 * the containers); a killed service and then a killed dockerd are brought back.
 */
const dockerd = Bun.which("dockerd");
const docker = Bun.which("docker");
const isRoot = process.getuid?.() === 0;
const hasImage =
  docker !== null && Bun.spawnSync([docker, "image", "inspect", "corral/busybox:latest"]).exitCode === 0;
const why = !dockerd
  ? "dockerd is not installed"
  : !isRoot
    ? "not root"
    : !hasImage
      ? "no corral/busybox:latest image in the host Docker"
      : "";
if (why) console.warn(`skipping System Docker integration test: ${why}`);

describe.skipIf(why !== "")("System Docker (real dockerd)", () => {
  const base = mkdtempSync("/tmp/csd-");
  let keeper: DaemonKeeper<SystemDocker> | undefined;
  afterAll(async () => {
    await keeper?.stop();
    Bun.spawnSync([
      "sh",
      "-c",
      `umount $(grep ' ${base}' /proc/mounts | cut -d' ' -f2 | sort -r) 2>/dev/null`,
    ]);
    rmSync(base, { recursive: true, force: true });
  });

  test("loads images, runs services in order with health checks, restarts a killed one and a killed dockerd, stops cleanly", async () => {
    const images = join(base, "images");
    const shared = join(base, "shared");
    mkdirSync(images);
    mkdirSync(shared);
    expect(
      Bun.spawnSync([docker!, "save", "-o", join(images, "busybox.tar"), "corral/busybox:latest"]).exitCode,
    ).toBe(0);
    const paths = {
      socket: join(base, "sd.sock"),
      dataRoot: join(base, "data"),
      execRoot: join(base, "exec"),
      pidfile: join(base, "sd.pid"),
      logFile: join(base, "sd.log"),
    };
    const start = () =>
      startSystemDocker(paths, {
        extraArgs: ["--cgroup-parent", "corral-system-test"],
        timeoutMs: 60_000,
        // dockerd with `--bridge none` deletes the host's docker0 at start: on a booted CorralOS that
        // is System Docker's own namespace, here it would be the machine's. Give it a namespace.
        prefix: ["unshare", "--net"],
      });
    const specs = [
      parseServiceFile(
        "prep",
        `image: corral/busybox:latest\ncommand: ["sh", "-c", "echo ready > /shared/ready"]\noneshot: true\nnet: none\nvolumes: ["${shared}:/shared"]\n`,
        "prep/service.yml",
      ),
      parseServiceFile(
        "web",
        `image: corral/busybox:latest\ncommand: ["sh", "-c", "test -f /shared/ready && exec sleep 1000"]\nafter: [prep]\nnet: none\nstop_timeout: 1\nvolumes: ["${shared}:/shared"]\nhealth:\n  command: ["test", "-f", "/shared/ready"]\n  start_interval: 100ms\n`,
        "web/service.yml",
      ),
      parseServiceFile(
        "sick",
        `image: corral/busybox:latest\ncommand: ["sleep", "1000"]\nnet: none\nstop_timeout: 1\nhealth:\n  command: ["sh", "-c", "echo not yet; exit 3"]\n  start_period: 0s\n  retries: 1\n  start_interval: 100ms\n`,
        "sick/service.yml",
      ),
    ];
    const engine = new DockerodeEngine(paths.socket);
    const sup = new Supervisor(engine, { backoffBaseMs: 50, backoffMaxMs: 100 });
    keeper = new DaemonKeeper(
      start,
      {
        lost: () => sup.engineLost(),
        back: async () => {
          sup.engineBack();
          await sup.reconcile(specs, {});
        },
      },
      { backoffBaseMs: 100, backoffMaxMs: 200 },
    );
    const sd = await keeper.begin();
    expect(await new ImageLoader(sd.docker, images).done).toEqual(["busybox.tar"]);
    expect(await new ImageLoader(sd.docker, images).done).toEqual([]);
    // A broken tarball fails its own load only; ready() of a tag no tarball holds resolves at once.
    writeFileSync(join(images, "aaa-broken.tar"), "not a tarball");
    const loader = new ImageLoader(sd.docker, images, { urgent: ["corral/busybox"] });
    await loader.ready("corral/busybox:latest");
    await loader.ready("nobody/ships-this");
    await expect(loader.done).rejects.toThrow();
    rmSync(join(images, "aaa-broken.tar"));

    // web is ready once its check ran in its container; sick's check fails with its own output.
    const status = await sup.reconcile(specs, {});
    expect(status.map((s) => [s.name, s.state, s.health])).toEqual([
      ["prep", "completed", undefined],
      ["sick", "starting", "unhealthy"],
      ["web", "running", "healthy"],
    ]);
    expect(status[1]?.error).toBe("health check: sh exited with code 3: not yet");
    expect((await engine.inspect("web"))?.running).toBe(true);

    const webUp = async (restarts: number) => {
      // At least: failures noticed before PID 1 hears of a dead dockerd still count.
      const end = Date.now() + 60_000;
      for (;;) {
        const web = sup.status().find((s) => s.name === "web");
        if (
          (web?.restarts ?? 0) >= restarts &&
          web?.health === "healthy" &&
          (await engine.inspect("web"))?.running
        )
          return;
        if (Date.now() > end) throw new Error(`web is not back: ${JSON.stringify(sup.status())}`);
        await sleep(100);
      }
    };
    await sd.docker.getContainer("web").kill();
    await webUp(1);

    // dockerd itself dies: PID 1's keeper starts it again, the supervisor reconnects and the
    // services run again (the failures while it was away are not counted).
    process.kill(sd.process.pid, "SIGKILL");
    const end = Date.now() + 90_000;
    while (keeper.restarts < 1) {
      if (Date.now() > end) throw new Error("dockerd was not restarted");
      await sleep(100);
    }
    expect(keeper.current).not.toBe(sd);
    // The killed dockerd's containerd was not mistaken for a live one (a 15 s wait, then a failure).
    expect(readFileSync(paths.logFile, "utf8")).not.toContain("timeout waiting for containerd");
    await webUp(1);
    expect(sup.status().find((s) => s.name === "prep")?.state).toBe("completed");

    await sup.stopAll();
    expect((await engine.inspect("web"))?.running).toBe(false);
    const last = keeper.current!;
    await keeper.stop();
    expect(last.process.exitCode).not.toBeNull();
    expect(keeper.restarts).toBe(1);
  }, 240_000);
});
