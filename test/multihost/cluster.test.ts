/**
 * Smoke test of the multi-host harness: three real hosts (each its own dockerd and agent, in
 * containers on a test network) join one server; a container placed on host 2 runs on host 2's
 * dockerd only; a stopped host goes reconnecting/disconnected and comes back active as the same host.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Cluster, startCluster, type TestHost, waitFor } from "./cluster.ts";

let cluster: Cluster;
let startMs = 0;

beforeAll(async () => {
  const t0 = performance.now();
  cluster = await startCluster({ hosts: 3, labels: [{}, { role: "second" }, {}] });
  startMs = performance.now() - t0;
  // The figure the harness is judged by (target: under 60 s with the image cached).
  console.log(`[multihost] 3-host cluster active in ${(startMs / 1000).toFixed(1)} s`);
}, 150_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

const hostPath = (id: string) => `/v2-beta/projects/${cluster.projectId}/hosts/${id}`;

/** Waits until the API shows `host` in one of `states`; returns the host resource. */
function waitAgentState(host: TestHost, states: string[], timeoutMs = 30_000) {
  let seen = "";
  return waitFor(
    () => `${host.name} (${host.hostId}) to be ${states.join("/")}, last seen ${seen}`,
    async () => {
      const r = await cluster.api("GET", hostPath(host.hostId));
      seen = r.body.agentState;
      return states.includes(seen) ? r.body : null;
    },
    timeoutMs,
  );
}

test("three hosts are active with distinct ids and their own facts", async () => {
  // How long the start took is printed, not asserted: under load it took 78 s (idle ~25 s), and
  // startCluster already fails past its own deadline for the hosts to become active.
  expect(startMs).toBeGreaterThan(0);
  const ids = new Set(cluster.hosts.map((h) => h.hostId));
  expect(ids.size).toBe(3);
  for (const host of cluster.hosts) {
    // Facts arrive with the hello; wait rather than race the first report.
    const r = await waitFor(`${host.name} facts`, async () => {
      const res = await cluster.api("GET", hostPath(host.hostId));
      return res.body.info?.dockerVersion ? res.body : null;
    });
    expect(r.agentState).toBe("active");
    expect(r.hostname).toBe(host.name);
    expect(r.info.dockerVersion).toMatch(/^\d+\./);
  }
  const second = await cluster.api("GET", hostPath(cluster.hosts[1]!.hostId));
  expect(second.body.labels).toMatchObject({ role: "second" });
});

test("a container requested on host 2 runs on host 2's own dockerd", async () => {
  const [host1, host2] = [cluster.hosts[0]!, cluster.hosts[1]!];
  const create = await cluster.api("POST", `/v2-beta/projects/${cluster.projectId}/containers`, {
    imageUuid: "docker:corral/busybox:latest",
    command: ["sleep", "3600"],
    requestedHostId: host2.hostId,
  });
  expect(create.status).toBeLessThan(300);
  const id: string = create.body.id;
  let seen = "";
  const running = await waitFor(
    () => `container ${id} running (last seen ${seen})`,
    async () => {
      const r = await cluster.api("GET", `/v2-beta/projects/${cluster.projectId}/containers/${id}`);
      seen = `${r.body.state} ${r.body.transitioningMessage ?? ""}`;
      return r.body.state === "running" ? r.body : null;
    },
    60_000,
  );
  expect(running.hostId).toBe(host2.hostId);
  const dockerId: string = running.externalId ?? running.dockerId;
  expect(dockerId).toBeTruthy();
  const onHost2 = await host2.docker(["ps", "-q", "--no-trunc"]);
  expect(onHost2.exitCode).toBe(0);
  expect(onHost2.stdout).toContain(dockerId);
  const onHost1 = await host1.docker(["ps", "-q", "--no-trunc"]);
  expect(onHost1.exitCode).toBe(0);
  expect(onHost1.stdout).not.toContain(dockerId);
}, 90_000);

test("a stopped host leaves and comes back as the same host", async () => {
  const host3 = cluster.hosts[2]!;
  const hostId = host3.hostId;
  await host3.stop(5);
  await waitAgentState(host3, ["reconnecting", "disconnected"]);
  await host3.start();
  const back = await waitAgentState(host3, ["active"], 60_000);
  expect(back.id).toBe(hostId);
  const hosts = await cluster.api("GET", `/v2-beta/projects/${cluster.projectId}/hosts`);
  // Same identity: the agent kept its state, so no fourth host registered.
  expect(hosts.body.data).toHaveLength(3);
}, 120_000);
