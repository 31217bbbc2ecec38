import { createHash } from "node:crypto";
import { AppError } from "@corral/lib";
import Docker from "dockerode";
import { tarArchive } from "../lb/tar.ts";
import type { DataPlane } from "./config.ts";

/** The image the daemon runs from (built by images/ipsec/build.sh, shipped with the OS). */
export const ipsecImage = "corral/ipsec:latest";
/** Name of the daemon's container on every host. */
export const ipsecContainerName = "corral-ipsec";
/** Label carrying the hash of what the container was made with (image, plane, strongswan.conf). */
const specLabel = "io.corral.ipsec.spec";

/** What the probe found: the plane to use, or why none can run. */
export type ProbeResult = { plane: DataPlane; detail: string } | { plane: null; reason: string };

/** What a command run in the daemon's container printed, and how it ended. */
export interface RunResult {
  code: number;
  output: string;
}

/**
 * What the IPsec controller does to the host's Docker: probe the kernel, keep the daemon's
 * container, write its files and run swanctl in it. Behind an interface so the controller is tested
 * against a fake and this against the real Docker.
 */
export interface IpsecRuntime {
  /** Which ESP data plane this kernel offers (runs the image's probe in a throw-away container). */
  probe(): Promise<ProbeResult>;
  /**
   * Makes sure the daemon's container runs with this plane and strongswan.conf (recreated when
   * either changed, started when stopped). Returns its id; `fresh` when it was (re)created or started.
   */
  ensure(plane: DataPlane, strongswanConf: string): Promise<{ id: string; fresh: boolean }>;
  /** Writes swanctl.conf (mode 0600: it holds the keys) into the container. */
  writeSwanctl(id: string, text: string): Promise<void>;
  /** Runs swanctl with `args` in the container. */
  swanctl(id: string, args: string[], timeoutMs?: number): Promise<RunResult>;
  /** Stops and removes the container (IPsec turned off for this host). */
  remove(): Promise<void>;
}

/** Docker's status code of a failed call, if any. */
function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number })?.statusCode;
}

/** Runs a command in a container with a terminal (no multiplexing) and collects its output. */
async function execIn(docker: Docker, id: string, cmd: string[], timeoutMs: number): Promise<RunResult> {
  const exec = await docker
    .getContainer(id)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await exec.start({ hijack: true, stdin: false, Tty: true });
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    done.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) stream.destroy();
  const output = Buffer.concat(chunks).toString("utf8").replace(/\r\n/g, "\n");
  const code = timedOut ? 124 : ((await exec.inspect()).ExitCode ?? 1);
  return { code, output };
}

/** The real runtime: dockerode on `socketPath`. */
export function createIpsecRuntime(socketPath = "/var/run/docker.sock", image = ipsecImage): IpsecRuntime {
  const docker = new Docker({ socketPath });
  const hasImage = async () => {
    try {
      return (await docker.getImage(image).inspect()).Id;
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
  };
  const runOnce = async (devices: boolean): Promise<string> => {
    const container = await docker.createContainer({
      Image: image,
      Entrypoint: ["/usr/local/bin/ipsec-probe"],
      // A terminal, so the log is plain text without Docker's stream framing.
      Tty: true,
      HostConfig: {
        NetworkMode: "none",
        CapAdd: ["NET_ADMIN"],
        AutoRemove: false,
        ...(devices && {
          Devices: [
            { PathOnHost: "/dev/net/tun", PathInContainer: "/dev/net/tun", CgroupPermissions: "rwm" },
          ],
        }),
      },
      Labels: { "io.corral.ipsec.probe": "true" },
    });
    try {
      await container.start();
      await container.wait();
      const logs = await container.logs({ stdout: true, stderr: true });
      return Buffer.from(logs).toString("utf8").trim();
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  };
  return {
    async probe() {
      if (!(await hasImage())) return { plane: null, reason: `image ${image} is not on this host` };
      let out: string;
      try {
        out = await runOnce(true);
      } catch {
        // No /dev/net/tun on this host: the probe still tells whether the kernel has ESP.
        out = await runOnce(false);
      }
      if (out.startsWith("kernel")) return { plane: "kernel", detail: out };
      if (out === "userspace")
        return { plane: "userspace", detail: "kernel without ESP; kernel-libipsec over TUN" };
      return { plane: null, reason: out.replace(/^none\s*/, "") || "probe failed" };
    },
    async ensure(plane, strongswanConf) {
      const imageId = await hasImage();
      if (!imageId) throw new AppError("NotFound", `image ${image} is not on this host`);
      const spec = createHash("sha256")
        .update(`${imageId}\n${plane}\n${strongswanConf}`)
        .digest("hex")
        .slice(0, 16);
      const existing = docker.getContainer(ipsecContainerName);
      try {
        const info = await existing.inspect();
        if (info.Config.Labels?.[specLabel] === spec) {
          if (info.State.Running) return { id: info.Id, fresh: false };
          await existing.start();
          return { id: info.Id, fresh: true };
        }
        await existing.remove({ force: true });
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
      }
      const container = await docker.createContainer({
        name: ipsecContainerName,
        Image: image,
        Labels: { [specLabel]: spec, "io.corral.system": "ipsec" },
        HostConfig: {
          // IKE and ESP use the host's address, and routes to peers' slices go in the host's tables.
          NetworkMode: "host",
          CapAdd: ["NET_ADMIN", "NET_RAW"],
          // The entry exits when charon dies: Docker starts it again at once (and the agent checks).
          RestartPolicy: { Name: "always" },
          Init: true,
          ...(plane === "userspace" && {
            Devices: [
              { PathOnHost: "/dev/net/tun", PathInContainer: "/dev/net/tun", CgroupPermissions: "rwm" },
            ],
          }),
        },
      });
      // Written before the first start: charon reads strongswan.conf only when it starts.
      await container.putArchive(
        Buffer.from(tarArchive([{ path: "strongswan.conf", content: strongswanConf }])),
        {
          path: "/etc",
        },
      );
      await container.start();
      return { id: container.id, fresh: true };
    },
    async writeSwanctl(id, text) {
      const tar = tarArchive([{ path: "swanctl.conf", content: text, mode: 0o600 }]);
      await docker.getContainer(id).putArchive(Buffer.from(tar), { path: "/etc/swanctl" });
    },
    swanctl: (id, args, timeoutMs = 15_000) => execIn(docker, id, ["swanctl", ...args], timeoutMs),
    async remove() {
      await docker
        .getContainer(ipsecContainerName)
        .remove({ force: true })
        .catch((e) => {
          if (statusOf(e) !== 404) throw e;
        });
    },
  };
}
