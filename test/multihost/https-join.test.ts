/**
 * A Docker-in-Docker host joins over HTTPS with the CA pinned from its registration command's
 * checksum, and runs a container (the harness starts every host this way). From the host's side of
 * the bridge, plain HTTP gets a redirect and nothing else; a host given a wrong checksum never joins.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { buildTestHostImage, type Cluster, startCluster, waitFor } from "./cluster.ts";
import { docker, resourcePrefix } from "./docker-cli.ts";
import { dockerVolumeName, startTestHost } from "./test-host.ts";

let cluster: Cluster;
const extra: string[] = [];

beforeAll(async () => {
  cluster = await startCluster({ hosts: 1 });
}, 150_000);

afterAll(async () => {
  for (const name of extra) {
    await docker(["rm", "--force", "--volumes", name]);
    await docker(["volume", "rm", "--force", dockerVolumeName(name)]);
  }
  await cluster?.stop();
}, 60_000);

test("the host joined over HTTPS and keeps the pinned CA with its keys", async () => {
  const host = cluster.hosts[0]!;
  expect(cluster.hostUrl).toMatch(/^https:\/\//);
  const state = JSON.parse((await host.exec(["cat", "/var/lib/corral/agent/agent.json"])).stdout);
  expect(state.url).toBe(cluster.hostUrl);
  expect(state.caCert).toBe(cluster.server.tls!.caPem);
  expect(state.accessKey).toBeTruthy();
});

test("a container placed on the host runs on its dockerd", async () => {
  const host = cluster.hosts[0]!;
  const create = await cluster.api("POST", `/v2-beta/projects/${cluster.projectId}/containers`, {
    imageUuid: "docker:corral/busybox:latest",
    command: ["sleep", "3600"],
    requestedHostId: host.hostId,
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
  const ps = await host.docker(["ps", "-q", "--no-trunc"]);
  expect(ps.stdout).toContain(running.externalId ?? running.dockerId);
}, 90_000);

test("plain HTTP from the host's side of the bridge gets only a redirect to HTTPS", async () => {
  const host = cluster.hosts[0]!;
  const https = new URL(cluster.hostUrl);
  const plain = `http://${https.hostname}:${cluster.server.port}/v2-beta/projects`;
  const auth = `Basic ${btoa(`${cluster.admin.accessKey}:${cluster.admin.secretKey}`)}`;
  const script = `const r = await fetch(${JSON.stringify(plain)}, { redirect: "manual", headers: { Authorization: ${JSON.stringify(auth)} } }); console.log(JSON.stringify({ status: r.status, location: r.headers.get("location"), body: await r.text() }));`;
  const r = await host.exec(["bun", "-e", script]);
  expect(r.exitCode).toBe(0);
  const answer = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  expect(answer.status).toBe(307);
  expect(answer.location).toBe(`${cluster.hostUrl}/v2-beta/projects`);
  expect(answer.body).not.toContain("data");
}, 30_000);

test("a host given a wrong CA checksum refuses the server and never joins", async () => {
  const { image, preloadDir } = await buildTestHostImage();
  const name = `${resourcePrefix}host-wrongca-${Math.random().toString(36).slice(2, 8)}`;
  extra.push(name);
  const wrong = "0".repeat(64);
  const host = await startTestHost({
    index: 9,
    containerName: name,
    image,
    network: cluster.network,
    preloadDir,
    repoRoot: `${import.meta.dir}/../..`,
    serverUrl: cluster.hostUrl,
    token: cluster.registrationToken,
    caChecksum: wrong,
    labels: {},
  });
  const logs = await waitFor(
    "the wrong-checksum agent to refuse the server",
    async () => {
      const out = await host.logs();
      return out.includes(`not ${wrong}`) ? out : null;
    },
    60_000,
  );
  expect(logs).toContain(`has SHA-256 ${cluster.server.tls!.caChecksum}`);
  const hosts = await cluster.api("GET", `/v2-beta/projects/${cluster.projectId}/hosts`);
  expect(hosts.body.data.map((h: { hostname: string }) => h.hostname)).not.toContain("host-9");
}, 90_000);
