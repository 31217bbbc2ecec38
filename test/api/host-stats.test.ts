// A host's `stats` link: the CPU, memory and disk samples its agent's hellos and pings carried,
// oldest first, at most the history's capacity of them; `since` answers only later ones and a
// malformed `since` is refused; another environment's key gets 404; a removed host's history goes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "./fake-agent.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  hostFacts,
  type ProjectFixture,
  startTestServer,
  until,
} from "./harness.ts";

let server: RunningServer;
let admin: Client;
let a: ProjectFixture;
let b: ProjectFixture;
let agent: FakeAgent;
let statsUrl: string;

interface Sample {
  at: number;
  cpuLoad: number;
  memoryUsed: number;
  memoryTotal: number;
  diskUsed: number;
  diskTotal: number;
}

/** Facts whose memory in use is `n` bytes (so each sample can be told apart) on a 10 GiB root disk. */
function factsNumbered(n: number) {
  return {
    ...hostFacts(),
    cpuLoad: n % 100,
    memoryTotal: 16 * 1024 ** 3,
    memoryUsed: n,
    disks: [
      { mount: "/boot", size: 512 * 1024 ** 2, used: 1 },
      { mount: "/", size: 10 * 1024 ** 3, used: 4 * 1024 ** 3 + n },
    ],
  };
}

async function samples(url = statsUrl, client = admin): Promise<Sample[]> {
  return expectStatus(await client.get(url), 200).body.samples;
}

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  a = await createProject(admin);
  b = await createProject(admin);
  agent = await FakeAgent.join(server.url, a.token);
  await until("agent connected", () => server.hub.isConnected(agent.hostId));
  const host = expectStatus(await admin.get(`/v2-beta/projects/${a.id}/hosts/${agent.hostId}`), 200).body;
  statsUrl = host.links.stats;
});

afterAll(async () => {
  await agent.close().catch(() => undefined);
  await server.stop();
});

describe("a host's stats", () => {
  test("the host links its stats; the hello's facts are the first sample, each ping with facts adds one", async () => {
    expect(statsUrl).toBe(`${server.url}/v2-beta/projects/${a.id}/hosts/${agent.hostId}/stats`);
    const first = expectStatus(await admin.get(statsUrl), 200).body;
    expect(first).toMatchObject({ type: "hostStats", id: agent.hostId, capacity: 720, cpuCount: 2 });
    // The hello's facts: 0.1 % CPU, 512 B of 1 KiB, no disk.
    expect(first.samples).toHaveLength(1);
    expect(first.samples[0]).toMatchObject({
      cpuLoad: 0.1,
      memoryUsed: 512,
      memoryTotal: 1024,
      diskTotal: 0,
    });
    expect(first.disk).toBeNull();
    const before = Date.now();
    for (let i = 1; i <= 3; i++) agent.ping(factsNumbered(i));
    const got = await until("three more samples", async () => {
      const list = await samples();
      return list.length === 4 ? list : null;
    });
    expect(got.slice(1).map((s) => [s.cpuLoad, s.memoryUsed, s.diskUsed, s.diskTotal])).toEqual(
      [1, 2, 3].map((i) => [i, i, 4 * 1024 ** 3 + i, 10 * 1024 ** 3]),
    );
    expect(got[1]!.at).toBeGreaterThanOrEqual(before - 1000);
    // Oldest first.
    expect(got.map((s) => s.at)).toEqual([...got.map((s) => s.at)].sort((x, y) => x - y));
    expect(expectStatus(await admin.get(statsUrl), 200).body.disk).toBe("/");
    // The same through the unscoped URL, and by the environment's own key.
    expect(await samples(`/v2-beta/hosts/${agent.hostId}/stats`)).toEqual(got);
    expect(await samples(statsUrl, a.client)).toEqual(got);
    // Pings without facts add nothing (the fake agent pings so every 100 ms).
    await Bun.sleep(300);
    expect((await samples()).length).toBe(4);
  });

  test("since answers only the samples received after it", async () => {
    const all = await samples();
    const cut = all[1]!.at;
    const later = await samples(`${statsUrl}?since=${cut}`);
    expect(later).toEqual(all.filter((s) => s.at > cut));
    expect(await samples(`${statsUrl}?since=${all.at(-1)!.at}`)).toEqual([]);
    expect(await samples(`${statsUrl}?since=0`)).toEqual(all);
  });

  test("keeps at most its capacity, the oldest dropped first", async () => {
    const capacity = expectStatus(await admin.get(statsUrl), 200).body.capacity as number;
    const sent = capacity + 30;
    for (let i = 1; i <= sent; i++) agent.ping(factsNumbered(1000 + i));
    const list = await until(
      "the last ping's sample",
      async () => {
        const got = await samples();
        return got.at(-1)?.memoryUsed === 1000 + sent ? got : null;
      },
      20_000,
    );
    expect(list).toHaveLength(capacity);
    expect(list.map((s) => s.memoryUsed)).toEqual(
      Array.from({ length: capacity }, (_, k) => 1000 + sent - capacity + 1 + k),
    );
  });

  test("a malformed since is refused with 422 and changes nothing; other parameters are ignored", async () => {
    const before = await samples();
    const bad = ["abc", "-1", "1.5", "1e3", "", " 5", "0x10", "12345678901234567", "%00", "1&since=2"];
    for (const value of bad) {
      const answer = await admin.get(`${statsUrl}?since=${value}`);
      expect([value, answer.status, answer.body.code]).toEqual([value, 422, "InvalidFormat"]);
      expect(answer.body.detail).toEqual({ field: "since" });
    }
    expect(await samples(`${statsUrl}?limit=5&sort=x&foo=%ff`)).toEqual(before);
    expect(await samples()).toEqual(before);
  });

  test("another environment's key, by any URL, gets 404", async () => {
    for (const url of [
      statsUrl,
      `/v2-beta/hosts/${agent.hostId}/stats`,
      `/v2-beta/projects/${b.id}/hosts/${agent.hostId}/stats`,
    ])
      expect([url, (await b.client.get(url)).status]).toEqual([url, 404]);
    expect((await b.client.get(`${statsUrl}?since=abc`)).status).toBe(404);
  });

  test("a removed host's history is dropped", async () => {
    expect((await samples()).length).toBeGreaterThan(0);
    expectStatus(await admin.post(`${statsUrl.replace(/\/stats$/, "")}?action=deactivate`, {}), 200);
    expectStatus(await admin.del(statsUrl.replace(/\/stats$/, "")), 200);
    await until("the history to go", () => server.hub.hostStats.samples(agent.hostId).samples.length === 0);
    expect(server.hub.hostStats.hostCount).toBe(0);
  });
});
