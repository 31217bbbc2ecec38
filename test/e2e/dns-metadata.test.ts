/**
 * Service discovery on the real engine, queried with dig from inside a container: service, stack
 * and fully qualified names, link aliases, sidekicks, external and alias services, NXDOMAIN with
 * SOA, only healthy containers answered and records that follow a health change within 1 s; and
 * the metadata service answering by the asking container's address.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { waitFor } from "./api-client.ts";
import { docker, type Env, removeDockerLeftovers, runPrefix, startEnv } from "./harness.ts";

let env: Env;
// Named with the run prefix, so the harness removes every container of it afterwards.
const stack = `${runPrefix}dns`;

const dockerCompose = `version: '2'
services:
  client:
    image: corral/test-tools:latest
    command: sleep 3600
    links: ["db:database"]
  db:
    image: corral/busybox:latest
    command: sh -c 'httpd -p 80 -h /www; sleep 3600'
    labels:
      io.rancher.sidekicks: backup
  backup:
    image: corral/busybox:latest
    command: sleep 3600
  outside:
    image: rancher/external-service
  both:
    image: rancher/dns-service
    links: [db, client]
`;
const rancherCompose = `version: '2'
services:
  db:
    scale: 2
    health_check:
      port: 80
      request_line: GET /index.html HTTP/1.0
      interval: 300
      healthy_threshold: 1
      unhealthy_threshold: 1
      strategy: none
  outside:
    external_ips: [192.0.2.10, 192.0.2.11]
`;

beforeAll(async () => {
  env = await startEnv();
  const created = await env.api.request("POST", env.api.project("/stacks"), {
    name: stack,
    dockerCompose,
    rancherCompose,
  });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  await waitFor(
    "db healthy and client running",
    async () => {
      const r = await env.api.request("GET", env.api.project(`/services?limit=100`));
      const mine = r.body.data.filter((s: { state: string; name: string }) => s.state === "active");
      const db = mine.find((s: { name: string }) => s.name === "db");
      const client = mine.find((s: { name: string }) => s.name === "client");
      return db?.healthState === "healthy" && db.currentScale === 2 && client?.currentScale === 1
        ? true
        : null;
    },
    120_000,
  );
}, 180_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
}, 60_000);

const client = () => `${stack}-client-1`;

async function dig(name: string, ...flags: string[]): Promise<string> {
  const r = await docker("exec", client(), "dig", "+time=2", "+tries=1", ...flags, name);
  return r.stdout;
}

async function addresses(name: string): Promise<string[]> {
  const r = await docker("exec", client(), "dig", "+short", "+time=2", "+tries=1", name);
  return r.stdout
    .split("\n")
    .filter((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l))
    .sort();
}

async function dbIps(): Promise<string[]> {
  const r = await env.api.request("GET", env.api.project(`/containers?name_prefix=${stack}-db-&limit=100`));
  return r.body.data
    .filter((c: { state: string; name: string }) => c.state === "running" && !c.name.includes("backup"))
    .map((c: { primaryIpAddress: string }) => c.primaryIpAddress)
    .sort();
}

test("service names in every form, aliases, sidekicks, external and alias services", async () => {
  const db = await dbIps();
  expect(db).toHaveLength(2);
  for (const name of ["db", `db.${stack}`, `db.${stack}.rancher.internal`, "database"]) {
    expect(await addresses(name)).toEqual(db);
  }
  const backup = (await addresses(`backup.db.${stack}.rancher.internal`)).length;
  expect(backup).toBe(2);
  expect(await addresses(`outside.${stack}.rancher.internal`)).toEqual(["192.0.2.10", "192.0.2.11"]);
  const both = await addresses(`both.${stack}.rancher.internal`);
  expect(both).toEqual(expect.arrayContaining(db));
  expect(both).toHaveLength(3);
  expect(await addresses(`${stack}-db-1`)).toHaveLength(1);
  const full = await dig(`db.${stack}.rancher.internal`);
  expect(full).toMatch(/\s1\s+IN\s+A\s/); // TTL 1
}, 60_000);

test("an unknown name in the zone is NXDOMAIN with the zone's SOA", async () => {
  const out = await dig(`nothere.${stack}.rancher.internal`);
  expect(out).toContain("status: NXDOMAIN");
  expect(out).toMatch(/AUTHORITY SECTION:\n.*rancher\.internal\.\s+\d+\s+IN\s+SOA/);
}, 30_000);

test("an unhealthy container leaves the answers within 1 s of the API showing it", async () => {
  const before = await dbIps();
  const victim = `${stack}-db-1`;
  await docker("exec", victim, "killall", "httpd");
  const shownAt = await waitFor(
    `${victim} unhealthy in the API`,
    async () => {
      const r = await env.api.request("GET", env.api.project(`/containers?name=${victim}`));
      return r.body.data[0]?.healthState === "unhealthy" ? Date.now() : null;
    },
    30_000,
  );
  const ip = (await env.api.request("GET", env.api.project(`/containers?name=${victim}`))).body.data[0]
    .primaryIpAddress;
  const goneAt = await waitFor(
    `${ip} gone from db's answers`,
    async () => {
      const now = await addresses("db");
      return now.length > 0 && !now.includes(ip) ? Date.now() : null;
    },
    10_000,
    50,
  );
  expect(goneAt - shownAt).toBeLessThan(1000);
  expect(before).toContain(ip);
}, 60_000);

test("metadata answers about the asking container", async () => {
  const get = async (path: string) =>
    (await docker("exec", client(), "wget", "-qO-", `http://169.254.169.250${path}`)).stdout.trim();
  expect(await get("/latest/self/container/name")).toBe(client());
  expect(await get("/latest/self/service/name")).toBe("client");
  expect(await get("/latest/self/stack/name")).toBe(stack);
  const services = await get("/latest/services");
  expect(services).toContain("db");
}, 30_000);
