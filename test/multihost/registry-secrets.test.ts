/**
 * Private registries and secrets with real parts: Debian's docker-registry with TLS (the test's own
 * CA, trusted by the test host's engine through certs.d) and htpasswd auth. An image built here is
 * pushed to it and deployed as a service on a Docker-in-Docker host that never saw it: first with a
 * wrong password (the registry's refusal shows on the container and the service, retried with
 * backoff), then with the right one. The service gets a secret as a file under /run/secrets from a
 * tmpfs; the value is in no env, no `docker inspect`, no API answer, audit row, log or database
 * file. A new value and an upgrade deliver the new file (and `pull_image: always` the new image);
 * the old container's secret folder goes with it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { execa } from "execa";
import { captureLogs } from "../../server/testing/capture-logs.ts";
import { startRegistry, type TestRegistry, trustRegistry } from "../../server/testing/registry.ts";
import { type Cluster, startCluster, waitFor } from "./cluster.ts";

const logs = captureLogs();
let cluster: Cluster;
let registry: TestRegistry;
let image: string;
const run = Math.random().toString(36).slice(2, 8);
const local = `corral-test-regapp:${run}`;
const secretValues: [string, string] = [`first-${crypto.randomUUID()}`, `second-${crypto.randomUUID()}`];
const p = (path: string) => `/v2-beta/projects/${cluster.projectId}${path}`;

/** Builds the app image here with a marker file, and pushes it to the registry. */
async function buildAndPush(marker: string): Promise<void> {
  const dockerfile = `FROM corral/busybox:latest\nRUN echo ${marker} > /marker\n`;
  const r = await execa("docker", ["build", "-q", "-t", local, "-"], { input: dockerfile, reject: false });
  if (r.exitCode !== 0) throw new Error(`docker build: ${r.stderr}`);
  await registry.push(local, "team/app:1");
}

beforeAll(async () => {
  cluster = await startCluster({ hosts: 1 });
  const gateway = new URL(cluster.hostUrl).hostname;
  registry = await startRegistry({ ips: [gateway] });
  image = `${registry.addressFor(gateway)}/team/app:1`;
  await trustRegistry((argv) => cluster.hosts[0]!.exec(argv), registry.addressFor(gateway), registry.caPem);
  await buildAndPush("v1");
}, 240_000);

afterAll(async () => {
  logs.stop();
  await cluster?.stop();
  await registry?.stop();
  await execa("docker", ["rmi", "--force", local, `${registry?.address}/team/app:1`], { reject: false });
}, 120_000);

async function service(name: string) {
  const r = await cluster.api("GET", p(`/services?name=${name}`));
  return r.body.data.find((s: { state: string }) => s.state !== "removed");
}

/** Every container change the event stream sends from now on (the admin's view of the project). */
async function watchContainers(): Promise<{
  changes: { id: string; state: string; transitioningMessage?: string }[];
  close(): void;
}> {
  const ws = new WebSocket(`${cluster.url.replace(/^http/, "ws")}${p("/subscribe")}`, {
    headers: { Authorization: `Basic ${btoa(`${cluster.admin.accessKey}:${cluster.admin.secretKey}`)}` },
  });
  const changes: { id: string; state: string; transitioningMessage?: string }[] = [];
  ws.onmessage = (m) => {
    const event = JSON.parse(String(m.data)) as {
      resourceType?: string;
      data?: { resource: { id: string; state: string; transitioningMessage?: string } };
    };
    if (event.resourceType === "container" && event.data) changes.push(event.data.resource);
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onclose = () => reject(new Error("subscription refused"));
  });
  return { changes, close: () => ws.close() };
}

async function containers(serviceId: string) {
  return (await cluster.api("GET", p(`/containers?serviceId=${serviceId}&limit=1000`))).body.data as {
    id: string;
    state: string;
    externalId: string | null;
    transitioningMessage: string | null;
  }[];
}

async function hostSh(cmd: string): Promise<string> {
  const r = await cluster.hosts[0]!.exec(["sh", "-c", cmd]);
  return `${r.stdout}${r.stderr}`;
}

test("a wrong password shows the registry's refusal with backoff; the right one deploys with the secret file", async () => {
  const reg = await cluster.api("POST", p("/registries"), { serverAddress: image.split("/")[0] });
  expect(reg.status).toBe(201);
  const cred = await cluster.api("POST", p("/registrycredentials"), {
    registryId: reg.body.id,
    publicValue: registry.username,
    secretValue: "wrong-password",
  });
  expect(cred.status).toBe(201);
  const sec = await cluster.api("POST", p("/secrets"), {
    name: "app-token",
    value: Buffer.from(secretValues[0]!).toString("base64"),
  });
  expect(sec.status).toBe(201);
  const dockerCompose = [
    "version: '3.1'",
    "secrets:",
    "  token:",
    "    external:",
    "      name: app-token",
    "services:",
    "  app:",
    `    image: ${image}`,
    "    command: sleep 3600",
    "    labels:",
    "      io.rancher.container.pull_image: always",
    "    secrets:",
    "      - source: token",
    "        target: token.txt",
    "        uid: '1000'",
    "        mode: 0440",
    "",
  ].join("\n");
  // The refusal, on the service and its failed containers; replacements come with backoff. A
  // failed container is replaced (and its row purged) within a pass, so a poll can miss it: the
  // event stream hears every state it went through.
  const refused = /unauthorized|authentication required|no basic auth/i;
  const seen = await watchContainers();
  const stack = await cluster.api("POST", p("/stacks"), { name: "private", dockerCompose });
  expect(stack.status).toBe(201);
  const svc = await waitFor(
    "the service and a failed container show the registry's refusal",
    async () => {
      const s = await service("app");
      if (!s || !refused.test(s.transitioningMessage ?? "")) return null;
      const failed = seen.changes.filter(
        (c) => c.state === "error" && refused.test(c.transitioningMessage ?? ""),
      );
      return failed.length > 0 ? s : null;
    },
    90_000,
  );
  seen.close();
  const startedAt = Date.now();
  await Bun.sleep(12_000);
  const attempts = (await containers(svc.id)).length;
  // 1 s doubling: at most a handful of tries in the first ~15 s, never a storm.
  expect(attempts).toBeLessThanOrEqual(8);
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(12_000);

  expect(
    (await cluster.api("PUT", p(`/registrycredentials/${cred.body.id}`), { secretValue: registry.password }))
      .status,
  ).toBe(200);
  const running = await waitFor(
    "the app runs with the right password",
    async () => (await containers(svc.id)).find((c) => c.state === "running" && c.externalId) ?? null,
    120_000,
  );
  const did = running.externalId!;
  expect(await hostSh(`docker exec ${did} cat /run/secrets/token.txt`)).toBe(secretValues[0]);
  expect(await hostSh(`docker exec ${did} stat -c '%a %u' /run/secrets/token.txt`)).toBe("440 1000");
  expect(await hostSh(`docker exec ${did} grep ' /run/secrets ' /proc/mounts`)).toMatch(/ ro[ ,]/);
  expect(await hostSh(`grep ' /run/corral/secrets ' /proc/mounts`)).toMatch(/^tmpfs /);
  expect(await hostSh(`docker exec ${did} cat /marker`)).toBe("v1");
  const inspect = await hostSh(`docker inspect ${did}`);
  expect(inspect).not.toContain(secretValues[0]);
  expect(await hostSh(`docker exec ${did} env`)).not.toContain(secretValues[0]);
}, 300_000);

test("a new secret value and an upgrade deliver the new file; pull_image always pulls the new image", async () => {
  const sec = (await cluster.api("GET", p("/secrets?name=app-token"))).body.data[0];
  const put = await cluster.api("PUT", p(`/secrets/${sec.id}`), {
    value: Buffer.from(secretValues[1]!).toString("base64"),
  });
  expect(put.status).toBe(200);
  await buildAndPush("v2");
  const svc = await service("app");
  const old = (await containers(svc.id)).find((c) => c.state === "running")!;
  const up = await cluster.api("POST", p(`/services/${svc.id}?action=upgrade`), {
    inServiceStrategy: {
      launchConfig: svc.launchConfig,
      batchSize: 1,
      intervalMillis: 200,
      startFirst: false,
    },
  });
  expect(up.status).toBe(202);
  await waitFor("upgraded", async () => ((await service("app")).state === "upgraded" ? true : null), 120_000);
  const fresh = (await containers(svc.id)).find((c) => c.state === "running" && c.id !== old.id)!;
  expect(await hostSh(`docker exec ${fresh.externalId} cat /run/secrets/token.txt`)).toBe(secretValues[1]);
  expect(await hostSh(`docker exec ${fresh.externalId} cat /marker`)).toBe("v2");
  expect((await cluster.api("POST", p(`/services/${svc.id}?action=finishupgrade`), {})).status).toBe(202);
  // The old container is removed, and its secret folder with it.
  await waitFor(
    "the old container's secret folder is gone",
    async () => ((await hostSh(`ls /run/corral/secrets`)).split(/\s+/).includes(old.id) ? null : true),
    60_000,
  );
  expect((await hostSh(`ls /run/corral/secrets`)).trim()).toBe(fresh.id);
}, 300_000);

test("neither the password nor a secret value is in the API, the audit log, any log or the database", async () => {
  const values = [
    registry.password,
    ...secretValues,
    ...secretValues.map((v) => Buffer.from(v).toString("base64")),
  ];
  const answers = await Promise.all(
    ["/registries", "/registrycredentials", "/secrets", "/containers", "/services", "/stacks"].map((c) =>
      cluster.api("GET", p(`${c}?limit=1000`)),
    ),
  );
  const audit = await cluster.api("GET", "/v2-beta/auditlogs?limit=1000");
  const agentLog = await cluster.hosts[0]!.logs();
  const dbFile = cluster.server.store.db.filename;
  const db = [dbFile, `${dbFile}-wal`].map((f) => {
    try {
      return readFileSync(f).toString("latin1");
    } catch {
      return "";
    }
  });
  const rows = JSON.stringify(cluster.server.store.db.query("SELECT * FROM resource").all());
  const haystacks: [string, string][] = [
    ["api", JSON.stringify(answers.map((a) => a.body))],
    ["audit", JSON.stringify(audit.body)],
    ["server log", logs.text()],
    ["agent log", agentLog],
    ["database file", db.join("")],
    ["database rows", rows],
  ];
  expect(audit.body.data.length).toBeGreaterThan(0);
  for (const [where, text] of haystacks)
    for (const v of values) expect([where, text.includes(v)]).toEqual([where, false]);
});
