/**
 * Benchmark: deploy a ~50 MB image from a private registry (Debian's docker-registry, TLS with the
 * bench's own CA, htpasswd) through Corral onto a test host that does not hold it, against the same
 * pull + create + start made straight to that host's engine with the same credentials, in the same run.
 *
 * - Host: one multi-host harness test host (its own dockerd and a real Corral agent); the registry
 *   on this machine, reached over the test network's gateway, its CA in the host's certs.d.
 * - Image: corral/busybox plus one layer of 50 MB of random bytes (incompressible), pushed once.
 * - Corral: `POST /v2-beta/projects/<pid>/containers` with the image (the environment holds the
 *   registry and its credential), until the API shows it `running` (polled every 25 ms).
 * - Baseline: dockerode `pull` with the same auth config, then create + start, straight to the
 *   host's dockerd socket (through /proc/<pid>/root of the host container), twice per round:
 *   - `managed`: the same Docker work Corral asks for: the container on the host's managed
 *     network (a user-defined bridge) with a fixed address and Corral's resolver settings. Docker
 *     starts a container there measurably more slowly than on its default bridge (a user-defined
 *     network also gets Docker's embedded resolver), so this is the like-for-like baseline the
 *     target is held against.
 *   - `bridge`: Docker's default bridge, what a plain `docker run` does; printed for comparison.
 * - Before each measurement the container and the image are removed from the host, so every round
 *   pulls the 50 MB layer again, then it waits 1.5 s (see settleMs). The three paths run in a
 *   rotating order; the figure is the median of the per-round ratios. Each path's time is split by the host engine's own events (image
 *   pulled, container created, container started).
 *
 * Target (issue 16): Corral's time <= 1.1x the like-for-like baseline's.
 *
 * Run: `flock /tmp/corral-host.lock bun bench/registry-pull.ts [rounds=5]`
 */
import { execFileSync } from "node:child_process";
import Docker from "dockerode";
import { execa } from "execa";
import { startRegistry, trustRegistry } from "../server/testing/registry.ts";
import { startCluster } from "../test/multihost/cluster.ts";
import { fmt, machineLine, median, revision, startLoadMonitor } from "./lib/common.ts";

const rounds = Number(process.argv[2] ?? 5);
const local = `corral-bench-pull:${Math.random().toString(36).slice(2, 8)}`;

const cluster = await startCluster({ hosts: 1 });
const gateway = new URL(cluster.hostUrl).hostname;
const registry = await startRegistry({ ips: [gateway] });
const p = (path: string) => `/v2-beta/projects/${cluster.projectId}${path}`;
const host = cluster.hosts[0]!;
const pid = execFileSync("docker", ["inspect", "-f", "{{.State.Pid}}", host.containerName]).toString().trim();
const engine = new Docker({ socketPath: `/proc/${pid}/root/var/run/docker.sock` });
const ref = `${registry.addressFor(gateway)}/bench/blob:1`;
const auth = {
  username: registry.username,
  password: registry.password,
  serveraddress: registry.addressFor(gateway),
};

/** When the host's engine said it pulled the image, made and started a container of it (ms since epoch). */
interface Marks {
  pulled?: number;
  created?: number;
  started?: number;
}
let marks: Marks = {};
let managed: Managed = { name: "", address: "" };
const load = startLoadMonitor();

/** Follows the host engine's events: where the time between the request and `running` goes. */
async function followEngine(): Promise<void> {
  const stream = (await engine.getEvents({
    filters: { type: ["image", "container"] },
  })) as NodeJS.ReadableStream;
  let buffered = "";
  stream.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as {
        Type: string;
        Action: string;
        id?: string;
        timeNano: number;
        Actor?: { Attributes?: Record<string, string> };
      };
      const at = e.timeNano / 1e6;
      if (e.Type === "image" && e.Action === "pull" && e.id === ref) marks.pulled = at;
      if (e.Type === "container" && e.Actor?.Attributes?.image === ref) {
        if (e.Action === "create") marks.created = at;
        if (e.Action === "start") marks.started = at;
      }
    }
  });
}

/** The round's parts: request -> pulled -> created -> started -> done, in ms. */
function parts(t0: number, done: number): string {
  const { pulled = Number.NaN, created = Number.NaN, started = Number.NaN } = marks;
  return `to pulled ${fmt(pulled - t0)}, pulled->created ${fmt(created - pulled)}, created->started ${fmt(started - created)}, started->done ${fmt(done - started)}`;
}

/**
 * How long every measurement waits after its clean-up. Removing a Corral container makes the agent
 * reconcile (its die and destroy events kick the network and ports controllers, and the server
 * sends a new view): without the pause, whichever path came next would pay for that work, and in
 * the rotation that is more often Corral or the bridge baseline than the managed one.
 */
const settleMs = 1500;

async function clean(): Promise<void> {
  for (const c of await engine.listContainers({ all: true, filters: { ancestor: [ref] } }))
    await engine.getContainer(c.Id).remove({ force: true });
  await engine
    .getImage(ref)
    .remove({ force: true })
    .catch(() => undefined);
}

/** The host's managed network (made by the agent from the server's view) and a spare address in it. */
interface Managed {
  name: string;
  address: string;
}

/** Finds the managed network; the baseline's address is its subnet's last usable one (never allocated first). */
async function managedNetwork(): Promise<Managed> {
  const [net] = await engine.listNetworks({ filters: { label: ["io.corral.network=managed"] } });
  const subnet = net?.IPAM?.Config?.[0]?.Subnet;
  if (!net || !subnet) throw new Error("the host has no managed network");
  const [base = "", bits = "32"] = subnet.split("/");
  const start = base.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  const last = start + 2 ** (32 - Number(bits)) - 2;
  const address = [24, 16, 8, 0].map((shift) => Math.floor(last / 2 ** shift) % 256).join(".");
  return { name: net.Name, address };
}

/**
 * The direct path: pull, create, start. `bridge` is Docker's default bridge (what `docker run`
 * does); `managed` is the same Docker work Corral asks for: the container on the managed
 * user-defined network with a fixed address and Corral's resolver settings (Docker then starts
 * its embedded DNS for the container, which the default bridge does not).
 */
async function direct(
  round: number,
  mode: "bridge" | "managed",
): Promise<{ total: number; pull: number; parts: string }> {
  await clean();
  await Bun.sleep(settleMs);
  marks = {};
  const wall = Date.now();
  const t0 = performance.now();
  const stream = await engine.pull(ref, { authconfig: auth });
  await new Promise<void>((resolve, reject) =>
    engine.modem.followProgress(stream, (err: unknown) => (err ? reject(err) : resolve())),
  );
  const pulled = performance.now();
  const options: Docker.ContainerCreateOptions = {
    Image: ref,
    Cmd: ["sleep", "3600"],
    name: `bench-pull-${mode}-${round}`,
  };
  if (mode === "managed") {
    options.HostConfig = {
      NetworkMode: managed.name,
      Dns: ["169.254.169.250"],
      DnsSearch: ["rancher.internal"],
    };
    options.NetworkingConfig = {
      EndpointsConfig: { [managed.name]: { IPAMConfig: { IPv4Address: managed.address } } },
    };
  }
  const c = await engine.createContainer(options);
  await c.start();
  const total = performance.now() - t0;
  await Bun.sleep(100); // the start event may still be on its way
  return { total, pull: pulled - t0, parts: parts(wall, wall + total) };
}

async function viaCorral(): Promise<{ ms: number; parts: string }> {
  await clean();
  await Bun.sleep(settleMs);
  marks = {};
  const wall = Date.now();
  const t0 = performance.now();
  const made = await cluster.api("POST", p("/containers"), {
    imageUuid: `docker:${ref}`,
    command: ["sleep", "3600"],
  });
  if (made.status !== 201) throw new Error(`create: ${JSON.stringify(made.body)}`);
  for (;;) {
    const c = (await cluster.api("GET", p(`/containers/${made.body.id}`))).body;
    if (c.state === "running") break;
    if (c.state === "error") throw new Error(`container failed: ${c.transitioningMessage}`);
    await Bun.sleep(25);
  }
  const ms = performance.now() - t0;
  const split = parts(wall, wall + ms);
  await cluster.api("DELETE", p(`/containers/${made.body.id}`));
  // The agent removes it in the background: the next round's clean-up must not race that removal.
  for (;;) {
    const c = await cluster.api("GET", p(`/containers/${made.body.id}`));
    if (c.status === 404 || c.body.state === "removed" || c.body.state === "purged") break;
    if (c.body.state === "error") throw new Error(`remove failed: ${c.body.transitioningMessage}`);
    await Bun.sleep(50);
  }
  return { ms, parts: split };
}

try {
  const build = await execa("docker", ["build", "-q", "-t", local, "-"], {
    input: "FROM corral/busybox:latest\nRUN head -c 50000000 /dev/urandom > /blob\n",
    reject: false,
  });
  if (build.exitCode !== 0) throw new Error(`docker build: ${build.stderr}`);
  await registry.push(local, "bench/blob:1");
  await trustRegistry((argv) => host.exec(argv), registry.addressFor(gateway), registry.caPem);
  const reg = await cluster.api("POST", p("/registries"), { serverAddress: registry.addressFor(gateway) });
  await cluster.api("POST", p("/registrycredentials"), {
    registryId: reg.body.id,
    publicValue: registry.username,
    secretValue: registry.password,
  });
  managed = await managedNetwork();
  const corral: number[] = [];
  const bridge: number[] = [];
  const alike: number[] = [];
  const pulls: number[] = [];
  const ratios: number[] = [];
  const bridgeRatios: number[] = [];
  await followEngine();
  await direct(-1, "bridge"); // warm-up: the registry's and engine's caches
  // The three paths run in a rotating order, so none always follows another's clean-up.
  const orders = [
    ["bridge", "managed", "corral"],
    ["corral", "bridge", "managed"],
    ["managed", "corral", "bridge"],
  ] as const;
  for (let r = 0; r < rounds; r++) {
    const got: Record<string, { ms: number; parts: string; pull?: number }> = {};
    for (const path of orders[r % orders.length]!) {
      if (path === "corral") got.corral = await viaCorral();
      else {
        const d = await direct(r, path);
        got[path] = { ms: d.total, parts: d.parts, pull: d.pull };
      }
    }
    const [b, m, c] = [got.bridge!, got.managed!, got.corral!];
    bridge.push(b.ms);
    alike.push(m.ms);
    corral.push(c.ms);
    pulls.push(m.pull!);
    ratios.push(c.ms / m.ms);
    bridgeRatios.push(c.ms / b.ms);
    console.log(
      `round ${r + 1} (${orders[r % orders.length]!.join(", ")}): corral ${fmt(c.ms)} ms; direct on the managed network ${fmt(m.ms)} ms (pull ${fmt(m.pull!)}), ratio ${fmt(c.ms / m.ms, 2)}; direct on the default bridge ${fmt(b.ms)} ms (pull ${fmt(b.pull!)}), ratio ${fmt(c.ms / b.ms, 2)}`,
    );
    console.log(`  corral:  ${c.parts}`);
    console.log(`  managed: ${m.parts}`);
    console.log(`  bridge:  ${b.parts}`);
  }
  console.log(machineLine());
  console.log(load.summary());
  console.log(`revision ${revision()}`);
  const ratio = median(ratios);
  console.log(
    `50 MB private pull + start on a fresh host: corral median ${fmt(median(corral))} ms; direct with the same Docker work (managed network) median ${fmt(median(alike))} ms (pull alone ${fmt(median(pulls))}), median ratio ${fmt(ratio, 2)} (target <= 1.1: ${ratio <= 1.1 ? "met" : "MISSED"}; ratio of the medians ${fmt(median(corral) / median(alike), 2)}); direct on the default bridge median ${fmt(median(bridge))} ms, median ratio ${fmt(median(bridgeRatios), 2)}`,
  );
} finally {
  await clean().catch(() => undefined);
  await cluster.stop();
  await registry.stop();
  await execa("docker", ["rmi", "--force", local, `${registry.address}/bench/blob:1`], { reject: false });
}
