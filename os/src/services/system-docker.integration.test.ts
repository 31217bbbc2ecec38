import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "@corral/lib";
import { DockerodeEngine } from "./dockerode-engine.ts";
import { parseServiceFile } from "./service-file.ts";
import { Supervisor } from "./supervisor.ts";
import { ImageLoader, loadImages, type SystemDocker, startSystemDocker } from "./system-docker.ts";

/**
 * The real System Docker path: a second dockerd on a temp socket and data root (`--bridge none
 * --iptables=false`, its own managed containerd), a `docker save` tarball loaded into it, and two
 * services from service.yml text run by the supervisor in order, one a one-shot.
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
  let sd: SystemDocker | undefined;
  afterAll(async () => {
    await sd?.stop();
    Bun.spawnSync([
      "sh",
      "-c",
      `umount $(grep ' ${base}' /proc/mounts | cut -d' ' -f2 | sort -r) 2>/dev/null`,
    ]);
    rmSync(base, { recursive: true, force: true });
  });

  test("loads images, runs services in order, restarts a killed one, stops cleanly", async () => {
    const images = join(base, "images");
    const shared = join(base, "shared");
    mkdirSync(images);
    mkdirSync(shared);
    expect(
      Bun.spawnSync([docker!, "save", "-o", join(images, "busybox.tar"), "corral/busybox:latest"]).exitCode,
    ).toBe(0);
    sd = await startSystemDocker(
      {
        socket: join(base, "sd.sock"),
        dataRoot: join(base, "data"),
        execRoot: join(base, "exec"),
        pidfile: join(base, "sd.pid"),
        logFile: join(base, "sd.log"),
      },
      {
        extraArgs: ["--cgroup-parent", "corral-system-test"],
        timeoutMs: 60_000,
        // dockerd with `--bridge none` deletes the host's docker0 at start: on a booted CorralOS that
        // is System Docker's own namespace, here it would be the machine's. Give it a namespace.
        prefix: ["unshare", "--net"],
      },
    );
    expect(await loadImages(sd.docker, images)).toEqual(["busybox.tar"]);
    expect(await loadImages(sd.docker, images)).toEqual([]);
    // A broken tarball fails its own load only; ready() of a tag no tarball holds resolves at once.
    writeFileSync(join(images, "aaa-broken.tar"), "not a tarball");
    const loader = new ImageLoader(sd.docker, images, { urgent: ["corral/busybox"] });
    await loader.ready("corral/busybox:latest");
    await loader.ready("nobody/ships-this");
    await expect(loader.done).rejects.toThrow();
    rmSync(join(images, "aaa-broken.tar"));

    const specs = [
      parseServiceFile(
        "prep",
        `image: corral/busybox:latest\ncommand: ["sh", "-c", "echo ready > /shared/ready"]\noneshot: true\nnet: none\nvolumes: ["${shared}:/shared"]\n`,
        "prep/service.yml",
      ),
      parseServiceFile(
        "web",
        `image: corral/busybox:latest\ncommand: ["sh", "-c", "test -f /shared/ready && exec sleep 1000"]\nafter: [prep]\nnet: none\nstop_timeout: 1\nvolumes: ["${shared}:/shared"]\n`,
        "web/service.yml",
      ),
    ];
    const engine = new DockerodeEngine(join(base, "sd.sock"));
    const sup = new Supervisor(engine, { backoffBaseMs: 50, backoffMaxMs: 100 });
    await sup.reconcile(specs, {});
    expect(sup.status().map((s) => [s.name, s.state])).toEqual([
      ["prep", "completed"],
      ["web", "running"],
    ]);
    expect((await engine.inspect("web"))?.running).toBe(true);

    await sd.docker.getContainer("web").kill();
    const end = Date.now() + 20_000;
    while (!(sup.status()[1]?.restarts === 1 && (await engine.inspect("web"))?.running)) {
      if (Date.now() > end) throw new Error(`web was not restarted: ${JSON.stringify(sup.status())}`);
      await sleep(100);
    }
    await sup.stopAll();
    expect((await engine.inspect("web"))?.running).toBe(false);
    await sd.stop();
    expect(sd.process.exitCode).not.toBeNull();
  }, 120_000);
});
