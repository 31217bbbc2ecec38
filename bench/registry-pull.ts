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
 *   host's dockerd socket (through /proc/<pid>/root of the host container).
 * - Before each measurement the container and the image are removed from the host, so every round
 *   pulls the 50 MB layer again. Rounds alternate baseline and Corral; the figure is the median ratio.
 *
 * Target (issue 16): Corral's time <= 1.1x the baseline's.
 *
 * Run: `flock /tmp/corral-host.lock bun bench/registry-pull.ts [rounds=5]`
 */
import { execFileSync } from "node:child_process";
import Docker from "dockerode";
import { execa } from "execa";
import { startRegistry, trustRegistry } from "../server/testing/registry.ts";
import { startCluster } from "../test/multihost/cluster.ts";
import { fmt, machineLine, median, revision } from "./lib/common.ts";

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

async function clean(): Promise<void> {
  for (const c of await engine.listContainers({ all: true, filters: { ancestor: [ref] } }))
    await engine.getContainer(c.Id).remove({ force: true });
  await engine
    .getImage(ref)
    .remove({ force: true })
    .catch(() => undefined);
}

async function direct(round: number): Promise<{ total: number; pull: number; parts: string }> {
  await clean();
  marks = {};
  const wall = Date.now();
  const t0 = performance.now();
  const stream = await engine.pull(ref, { authconfig: auth });
  await new Promise<void>((resolve, reject) =>
    engine.modem.followProgress(stream, (err: unknown) => (err ? reject(err) : resolve())),
  );
  const pulled = performance.now();
  const c = await engine.createContainer({ Image: ref, Cmd: ["sleep", "3600"], name: `bench-pull-${round}` });
  await c.start();
  const total = performance.now() - t0;
  await Bun.sleep(100); // the start event may still be on its way
  return { total, pull: pulled - t0, parts: parts(wall, wall + total) };
}

async function viaCorral(): Promise<{ ms: number; parts: string }> {
  await clean();
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
  const ratios: number[] = [];
  const corral: number[] = [];
  const baseline: number[] = [];
  const pulls: number[] = [];
  await followEngine();
  await direct(-1); // warm-up: the registry's and engine's caches
  for (let r = 0; r < rounds; r++) {
    const b = await direct(r);
    const { ms: c, parts: cParts } = await viaCorral();
    baseline.push(b.total);
    pulls.push(b.pull);
    corral.push(c);
    ratios.push(c / b.total);
    console.log(
      `round ${r + 1}: direct ${fmt(b.total)} ms (pull ${fmt(b.pull)}), corral ${fmt(c)} ms, ratio ${fmt(c / b.total, 2)}`,
    );
    console.log(`  direct: ${b.parts}`);
    console.log(`  corral: ${cParts}`);
  }
  console.log(machineLine());
  console.log(`revision ${revision()}`);
  console.log(
    `50 MB private pull + start on a fresh host: corral median ${fmt(median(corral))} ms, direct median ${fmt(median(baseline))} ms (pull alone ${fmt(median(pulls))}), median ratio ${fmt(median(ratios), 2)} (target <= 1.1: ${median(ratios) <= 1.1 ? "met" : "MISSED"})`,
  );
} finally {
  await clean().catch(() => undefined);
  await cluster.stop();
  await registry.stop();
  await execa("docker", ["rmi", "--force", local, `${registry.address}/bench/blob:1`], { reject: false });
}
