/**
 * Benchmark: the encrypted overlay's throughput and how fast a joining host gets its tunnel.
 *
 * - Hosts: the multi-host harness (test/multihost/cluster.ts), two hosts on one test network, each
 *   its own dockerd, agent and strongSwan; here the userspace data plane (kernel-libipsec over TUN),
 *   as this kernel has no ESP (the kernel plane is measured only where the kernel offers it).
 * - Measured: iperf3 (Debian's, in corral/iperf3 built here from the package) from a managed
 *   container on host 1 to one on host 2, through the tunnel (AES-GCM-128, ESP in UDP), 5 s per run.
 * - Baseline, same run, same link: iperf3 between the two hosts' own addresses (host network), in
 *   clear. Rounds alternate baseline and tunnel; figures are medians; the ratio is tunnel/baseline.
 * - Join: a third host is started; timed from its agent being `active` in the API (and from its
 *   container start) to the first ping from host 1's container through the tunnel to its bridge.
 *
 * Targets: userspace data plane >= 100 Mbit/s; join to first packet <= 10 s.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/ipsec.ts [rounds=3]`
 */
import { execFileSync } from "node:child_process";
import { buildTestHostImage, startCluster, waitFor } from "../test/multihost/cluster.ts";
import { docker } from "../test/multihost/docker-cli.ts";
import { startTestHost } from "../test/multihost/test-host.ts";
import { fmt, machineLine, median, revision } from "./lib/common.ts";

const rounds = Number(process.argv[2] ?? 3);
const iperfImage = "corral/iperf3:latest";

/** Builds corral/iperf3 from Debian's iperf3 + libiperf0 (dpkg -x) and busybox, once. */
function buildIperfImage(): void {
  const script = `set -euo pipefail
docker image inspect ${iperfImage} >/dev/null 2>&1 && exit 0
work=$(mktemp -d); chmod 0777 "$work"; root="$work/root"; mkdir -p "$root/bin" "$root/tmp"
(cd "$work" && apt-get download -q iperf3 libiperf0 libsctp1 >/dev/null 2>&1 || { apt-get update -qq; apt-get download -q iperf3 libiperf0 libsctp1 >/dev/null; })
for d in "$work"/*.deb; do dpkg -x "$d" "$root"; done
cp /bin/busybox "$root/bin/busybox"; for a in sh sleep cat ping; do ln -sf busybox "$root/bin/$a"; done
for lib in $(LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu" ldd "$root/usr/bin/iperf3" | grep -o '/[^ ]*' | grep -v "^$root" | sort -u); do
  mkdir -p "$root$(dirname "$lib")"; cp "$(readlink -f "$lib")" "$root$lib"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/bin:/bin' -c 'ENV LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu' - ${iperfImage} >/dev/null
rm -rf "$work"`;
  execFileSync("bash", ["-c", script], { stdio: ["ignore", "inherit", "inherit"] });
}

buildIperfImage();
const cluster = await startCluster({ hosts: 2, labels: [{ ipsec: "a" }, { ipsec: "b" }] });
const [h1, h2] = cluster.hosts as [(typeof cluster.hosts)[0], (typeof cluster.hosts)[0]];
// Loaded straight into the hosts: the shared preload folder keeps only the harness's own images.
for (const h of cluster.hosts)
  execFileSync("bash", [
    "-c",
    `docker save ${iperfImage} | docker exec -i ${h.containerName} docker load -q`,
  ]);
const p = (path: string) => `/v2-beta/projects/${cluster.projectId}${path}`;
let extraHost: string | null = null;

try {
  const make = async (name: string, hostId: string, command: string) => {
    const r = await cluster.api("POST", p("/containers"), {
      name,
      image: iperfImage,
      command,
      requestedHostId: hostId,
    });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body.id as string;
  };
  await make("iperf-server", h2.hostId, "iperf3 -s");
  await make("iperf-client", h1.hostId, "sleep 3600");
  const serverIp = await waitFor(
    "iperf containers running",
    async () => {
      const r = await cluster.api("GET", p("/containers?state=running&limit=100"));
      const running = r.body.data as Array<{ name: string; primaryIpAddress: string | null }>;
      const s = running.find((c) => c.name === "iperf-server");
      return running.some((c) => c.name === "iperf-client") && s?.primaryIpAddress;
    },
    120_000,
  );
  await waitFor(
    "a healthy mesh",
    async () =>
      (await cluster.api("GET", `/v2-beta/projects/${cluster.projectId}`)).body.ipsecHealth === "healthy",
    60_000,
  );
  const clientName = (
    await h1.docker(["ps", "--filter", "name=iperf-client", "--format", "{{.Names}}"])
  ).stdout.trim();
  // The baseline's server: iperf3 on host 2's own address, in clear.
  await h2.docker([
    "run",
    "-d",
    "--name",
    "iperf-host",
    "--network",
    "host",
    iperfImage,
    "iperf3",
    "-s",
    "-p",
    "5202",
  ]);

  const mbits = (json: string) => {
    const r = JSON.parse(json) as { end: { sum_received: { bits_per_second: number } } };
    return r.end.sum_received.bits_per_second / 1e6;
  };
  const tunnel: number[] = [];
  const clear: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const b = await h1.docker([
      "run",
      "--rm",
      "--network",
      "host",
      iperfImage,
      "iperf3",
      "-c",
      h2.ip,
      "-p",
      "5202",
      "-t",
      "5",
      "-J",
    ]);
    clear.push(mbits(b.stdout));
    const t = await h1.docker(["exec", clientName, "iperf3", "-c", String(serverIp), "-t", "5", "-J"]);
    tunnel.push(mbits(t.stdout));
    console.error(`round ${i + 1}: clear ${fmt(clear.at(-1)!)} Mbit/s, tunnel ${fmt(tunnel.at(-1)!)} Mbit/s`);
  }

  // Join: a third host; its bridge address answers through the tunnel once it is up.
  const { image, preloadDir } = await buildTestHostImage();
  extraHost = `corral-test-host-3-bench${process.pid}`;
  const started = performance.now();
  const h3 = await startTestHost({
    index: 3,
    containerName: extraHost,
    image,
    network: cluster.network,
    preloadDir,
    repoRoot: new URL("..", import.meta.url).pathname,
    serverUrl: cluster.hostUrl,
    token: cluster.registrationToken,
    labels: {},
  });
  let activeAt = 0;
  const firstPacket = await waitFor(
    "host 3's first packet through the tunnel",
    async () => {
      if (!activeAt) {
        const r = await cluster.api("GET", p("/hosts?limit=100"));
        if (
          (r.body.data as Array<{ hostname: string; agentState: string }>).some(
            (h) => h.hostname === "host-3" && h.agentState === "active",
          )
        )
          activeAt = performance.now();
      }
      const addr = await h3.exec([
        "sh",
        "-c",
        "ip -4 -o addr show corral0 | awk '{print $4}' | cut -d/ -f1 | head -1",
      ]);
      const gw = addr.stdout.trim();
      if (!gw.startsWith("10.42.")) return null;
      const ping = await h1.docker(["exec", clientName, "ping", "-c", "1", "-W", "1", gw]);
      return ping.exitCode === 0 ? performance.now() : null;
    },
    120_000,
    100,
  );

  const ratio = median(tunnel) / median(clear);
  const lines = [
    `## IPsec overlay (bench/ipsec.ts)`,
    "",
    `Command: \`bun bench/ipsec.ts ${rounds}\` — ${machineLine()}, revision ${revision()}, ${new Date().toISOString().slice(0, 10)}.`,
    "Two DinD test hosts on one Docker bridge; iperf3 3.12 (Debian), 5 s per run, medians of " +
      `${rounds} alternating rounds.`,
    "",
    "| data plane | tunnel (container to container) | baseline: hosts' own addresses, clear | ratio |",
    "|---|---|---|---|",
    `| userspace (kernel-libipsec, AES-GCM-128, ESP in UDP) | ${fmt(median(tunnel))} Mbit/s | ${fmt(median(clear))} Mbit/s | ${fmt(ratio, 3)} |`,
    "| kernel (xfrm) | not measurable here: this kernel has no ESP | | |",
    "",
    `Runs (Mbit/s): tunnel ${tunnel.map((v) => fmt(v)).join(", ")}; clear ${clear.map((v) => fmt(v)).join(", ")}.`,
    `Join: host 3 active in the API -> first ping through its tunnel: ${fmt((firstPacket - activeAt) / 1000, 2)} s ` +
      `(from its container start: ${fmt((firstPacket - started) / 1000, 2)} s, dockerd start and registration included).`,
    `Targets: userspace >= 100 Mbit/s: ${median(tunnel) >= 100 ? "met" : "NOT met"}; join <= 10 s: ${(firstPacket - activeAt) / 1000 <= 10 ? "met" : "NOT met"}.`,
  ];
  console.log(lines.join("\n"));
} finally {
  if (extraHost) {
    await docker(["rm", "--force", "--volumes", extraHost]);
    await docker(["volume", "rm", "--force", `${extraHost}-docker`]);
  }
  await cluster.stop();
}
