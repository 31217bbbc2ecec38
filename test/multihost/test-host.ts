/**
 * One test host of the multi-host harness: a `corral/test-host` container on the cluster's test
 * network, running its own dockerd (on its own volume) and its own Corral agent from the repository
 * bind-mounted read-only at /corral.
 */
import { docker, dockerOk, type ExecResult, ownerLabel, ownerValue } from "./docker-cli.ts";

/**
 * The docker run flags that make Docker-in-Docker work on these machines. `--privileged` fails here
 * (the capability bounding set lacks CAP_SYS_RESOURCE), so the same effect is spelled out: every
 * capability but SYS_RESOURCE, no seccomp/apparmor confinement, writable /proc and /sys paths, all
 * devices, and the cgroup hierarchy bound read-write for the nested dockerd's cgroupfs driver.
 */
export const dindFlags: readonly string[] = [
  "--cap-add=ALL",
  "--cap-drop=SYS_RESOURCE",
  "--security-opt=seccomp=unconfined",
  "--security-opt=apparmor=unconfined",
  "--security-opt=systempaths=unconfined",
  "--device-cgroup-rule=a *:* rwm",
  // The TUN device, for the agents' userspace IPsec (the kernel here has no ESP).
  "--device=/dev/net/tun",
  "--volume=/sys/fs/cgroup:/sys/fs/cgroup:rw",
];

/** What the harness needs to start one host. */
export interface TestHostSpec {
  /** 1-based position in the cluster; the hostname is `host-<index>`. */
  index: number;
  /** Container name, `corral-test-host-<index>-<run>`. */
  containerName: string;
  image: string;
  network: string;
  /** Folder of image tars loaded into the host's dockerd at start. */
  preloadDir: string;
  repoRoot: string;
  /** The server's URL as seen from inside the test network. */
  serverUrl: string;
  token: string;
  /** SHA-256 of the server's CA bundle, which the agent checks and pins (https URLs). */
  caChecksum?: string;
  labels: Record<string, string>;
}

/** A running (or stopped) test host. */
export interface TestHost {
  /** Hostname inside the container and the name the host registers with: `host-<i>`. */
  name: string;
  containerName: string;
  /** The Corral host id (`1h…`), known once the agent registered. */
  hostId: string;
  /** The container's address on the test network (re-read after `start()`). */
  ip: string;
  /** Runs `docker <args>` against this host's own dockerd. */
  docker(args: string[]): Promise<ExecResult>;
  /** Runs any command inside the host container. */
  exec(argv: string[]): Promise<ExecResult>;
  /** `docker stop`: the agent stops, dockerd gets 2 s to stop its containers, then the host is off. */
  stop(timeoutSeconds?: number): Promise<void>;
  /** `docker start` after stop/kill: dockerd and the agent come back with the same state. */
  start(): Promise<void>;
  /** `docker kill`: the host dies at once, like a power cut. */
  kill(): Promise<void>;
  /** The agent's output and the tail of dockerd's log, for failure messages. */
  logs(): Promise<string>;
}

/** The container's IP address on `network`. */
async function containerIp(containerName: string, network: string): Promise<string> {
  const format = `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`;
  return dockerOk(["inspect", "--format", format, containerName]);
}

/** The volume that holds a host's /var/lib/docker (overlay2 cannot sit on the container's overlay). */
export function dockerVolumeName(containerName: string): string {
  return `${containerName}-docker`;
}

/** Creates the host's volume and container and starts it; the agent registers on its own. */
export async function startTestHost(spec: TestHostSpec): Promise<TestHost> {
  const owner = `${ownerLabel}=${ownerValue}`;
  const volume = dockerVolumeName(spec.containerName);
  await dockerOk(["volume", "create", "--label", owner, volume]);
  const labelArgs = Object.entries(spec.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
  await dockerOk([
    "run",
    "--detach",
    `--name=${spec.containerName}`,
    `--hostname=host-${spec.index}`,
    `--network=${spec.network}`,
    `--label=${owner}`,
    ...dindFlags,
    `--mount=type=volume,src=${volume},dst=/var/lib/docker`,
    `--volume=${spec.repoRoot}:/corral:ro`,
    `--volume=${spec.preloadDir}:/preload:ro`,
    `--env=CORRAL_URL=${spec.serverUrl}`,
    `--env=CORRAL_TOKEN=${spec.token}`,
    ...(spec.caChecksum ? [`--env=CORRAL_CA_CHECKSUM=${spec.caChecksum}`] : []),
    spec.image,
    ...labelArgs,
  ]);
  const name = spec.containerName;
  const exec = (argv: string[]) => docker(["exec", name, ...argv]);
  const host: TestHost = {
    name: `host-${spec.index}`,
    containerName: name,
    hostId: "",
    ip: await containerIp(name, spec.network),
    docker: (args) => exec(["docker", ...args]),
    exec,
    async stop(timeoutSeconds = 10) {
      await dockerOk(["stop", `--time=${timeoutSeconds}`, name]);
    },
    async start() {
      await dockerOk(["start", name]);
      // Docker may hand out another address on restart.
      host.ip = await containerIp(name, spec.network);
    },
    async kill() {
      await dockerOk(["kill", name]);
    },
    async logs() {
      const out = await docker(["logs", "--tail=40", name]);
      const dockerd = await exec(["tail", "-n", "15", "/var/log/dockerd.log"]);
      return `--- ${name} output\n${out.stdout}\n${out.stderr}\n--- ${name} dockerd.log\n${dockerd.stdout}`;
    },
  };
  return host;
}
