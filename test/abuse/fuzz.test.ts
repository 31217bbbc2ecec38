// The fuzzer of issue 12: a fixed number of seeded random and mutated requests (methods, paths, query
// strings, headers, JSON bodies, compose files) against an in-process server with a fake agent. Each
// answer must be below 500, carry the security headers, and, when it is a refusal with a body, be
// Rancher's error shape with the answer's status. The server must still answer afterwards, and grow
// by less than the stated limit. Replay a failure with CORRAL_FUZZ_SEED=<seed> (printed on failure);
// CORRAL_FUZZ_COUNT changes how many requests are sent.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { errorStatus } from "@corral/api";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "../api/fake-agent.ts";
import {
  adminClient,
  basic,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  until,
} from "../api/harness.ts";
import { describeRequest, type FuzzWorld, randomRequest } from "./fuzz-requests.ts";
import { Rand } from "./fuzz-values.ts";
import { rssAfterGc, securityHeaders } from "./kit.ts";

const seed = Number(process.env.CORRAL_FUZZ_SEED ?? 20261202);
const count = Number(process.env.CORRAL_FUZZ_COUNT ?? 3000);
/**
 * Most the server may grow over the run, measured after a full collection. The store is in memory,
 * so what the fuzzer creates (stacks of compose files up to 1 MiB, thousands of audit rows of up to
 * 16 KiB) counts; unbounded work (an expansion, a cached page, a raw body in an audit row) would
 * pass it by far.
 */
const maxGrowthMb = 400;

let server: RunningServer;
let admin: Client;
let projects: ProjectFixture[];
let agent: FakeAgent;
let world: FuzzWorld;

beforeAll(async () => {
  // Many fuzzed requests carry wrong credentials from one address: a wide failure limit keeps them
  // reaching the code behind it (test/abuse/credentials.test.ts checks the limit itself).
  server = startTestServer({ authFailureLimits: { perSecond: 100_000, burst: 100_000 } });
  admin = adminClient(server);
  projects = [await createProject(admin), await createProject(admin)];
  const p = projects[0]!;
  agent = await FakeAgent.join(server.url, p.token);
  const fixtures = join(import.meta.dir, "../../server/src/compose/fixtures");
  const composeFiles = readdirSync(fixtures)
    .filter((f) => f.endsWith("docker-compose.yml"))
    .map((f) => readFileSync(join(fixtures, f), "utf8"));
  // A few rows of each kind, so paths and bodies name things that exist.
  const stack = expectStatus(
    await p.client.post(`/v2-beta/projects/${p.id}/stacks`, {
      name: "fuzz-base",
      startOnCreate: false,
      dockerCompose: "version: '2'\nservices:\n  web:\n    image: corral/busybox\n",
    }),
    201,
  ).body;
  const container = expectStatus(
    await p.client.post(`/v2-beta/projects/${p.id}/containers`, {
      name: "fuzz-c",
      imageUuid: "docker:corral/busybox",
    }),
    201,
  ).body;
  const services = (await p.client.get(`/v2-beta/projects/${p.id}/services`)).body.data;
  const cert = expectStatus(
    await p.client.post(`/v2-beta/projects/${p.id}/certificates`, {
      name: "fuzz",
      generate: { hostname: "f.example" },
    }),
    201,
  ).body;
  await until(
    "the fake agent's host",
    async () => (await admin.get(`/v2-beta/hosts/${agent.hostId}`)).status === 200,
  );
  world = {
    base: server.url,
    port: server.port,
    projectIds: [...projects.map((x) => x.id), "1a99999", "x"],
    ids: [
      stack.id,
      container.id,
      cert.id,
      agent.hostId,
      ...services.map((s: { id: string }) => s.id),
      ...projects.map((x) => x.key.id),
      ...projects.map((x) => x.tokenId),
      ...projects.map((x) => x.id),
      "1i999999",
    ],
    tokens: projects.map((x) => x.token),
    auths: [
      admin.auth,
      admin.auth,
      p.client.auth,
      p.client.auth,
      projects[1]!.client.auth,
      basic(agent.registration.accessKey, agent.registration.secretKey),
      null,
    ],
    composeFiles,
  };
});

afterAll(async () => {
  await agent?.close();
  await server.stop();
});

test(`${count} random requests: no 5xx, Rancher error bodies, security headers, bounded growth (seed ${seed})`, async () => {
  const rand = new Rand(seed);
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let unsent = 0;
  const before = rssAfterGc();
  for (let i = 0; i < count && failures.length < 20; i++) {
    const q = randomRequest(rand, world);
    let res: Response;
    try {
      res = await fetch(`${server.url}${q.path}`, {
        method: q.method,
        headers: q.headers,
        body: q.body,
        redirect: "manual",
      });
    } catch {
      // fetch() refused to send it (a header or URL it will not write): not the server's doing.
      unsent++;
      continue;
    }
    const text = await res.text();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const problem = check(q.method, res, text);
    if (problem)
      failures.push(`#${i} ${problem}: ${describeRequest(q)} -> ${res.status} ${text.slice(0, 300)}`);
  }
  const grewMb = Math.round(rssAfterGc() - before);
  const summary = [...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`);
  console.log(
    `fuzz seed ${seed}: ${count - unsent} sent, ${unsent} unsendable; statuses ${summary.join(" ")}; RSS +${grewMb} MB`,
  );
  if (failures.length > 0)
    throw new Error(`fuzz seed ${seed} (replay with CORRAL_FUZZ_SEED=${seed}):\n${failures.join("\n")}`);
  // Still serving, and still serving the admin.
  expect((await fetch(`${server.url}/ping`)).status).toBe(200);
  expect((await admin.get("/v2-beta")).status).toBeLessThan(500);
  expect(grewMb).toBeLessThan(maxGrowthMb);
}, 600_000);

/**
 * Bun answers a request head over 16 KiB itself, in native code with no hook, before the server
 * sees it: 431 with no body and none of our headers. Those are counted, not failed.
 */
function isBunHeadRefusal(res: Response, text: string): boolean {
  return res.status === 431 && text === "" && res.headers.get("content-type") === null;
}

/** What is wrong with one answer, or null. */
function check(method: string, res: Response, text: string): string | null {
  if (res.status >= 500) return "5xx";
  if (isBunHeadRefusal(res, text)) return null;
  for (const [k, v] of Object.entries(securityHeaders)) if (res.headers.get(k) !== v) return `no ${k}`;
  if (res.status < 400 || method === "HEAD") return null;
  let body: { type?: unknown; status?: unknown; code?: unknown; message?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return "refusal without a JSON body";
  }
  if (body.type !== "error" || body.status !== res.status || typeof body.message !== "string")
    return "refusal not in Rancher's error shape";
  if (typeof body.code !== "string" || !Object.hasOwn(errorStatus, body.code)) return "unknown error code";
  return null;
}
