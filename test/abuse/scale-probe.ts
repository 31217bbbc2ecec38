/**
 * The probe of finding 2 of issue 12, shared by `scale-freeze.test.ts` and `bench/scale-10000.ts`:
 * an in-process server with fake websocket agents (they answer every event as Docker would), one
 * service scaled in one `PUT`, and `/ping` timed every few milliseconds meanwhile.
 */
import type { RunningServer } from "@corral/server";
import { FakeAgent } from "../api/fake-agent.ts";
import { adminClient, type Client, createProject, expectStatus, uniqueName, until } from "../api/harness.ts";

/** An environment with connected fake hosts and a service at scale 0 on them. */
export interface ScaleRig {
  admin: Client;
  projectId: string;
  serviceId: string;
  agents: FakeAgent[];
}

/**
 * Joins `hosts` fake agents to a new environment and creates a service `web` at scale 0. The server
 * should run with its default liveness timings (`timings: {}`): the agents ping every 5 s.
 */
export async function scaleRig(server: RunningServer, hosts: number): Promise<ScaleRig> {
  const admin = adminClient(server);
  const project = await createProject(admin);
  const agents: FakeAgent[] = [];
  for (let i = 0; i < hosts; i++) {
    const agent = await FakeAgent.join(server.url, project.token, { ping: false });
    agent.skipHostState = true;
    // Every 5 s, as the real agent pings (the server must run with its default liveness timings).
    agent.startPinging(5000);
    agents.push(agent);
  }
  await hostsActive(admin, project.id, hosts);
  return { admin, projectId: project.id, serviceId: await scaleService(admin, project.id), agents };
}

/** Waits until the environment has exactly `hosts` hosts, all active. */
export async function hostsActive(admin: Client, projectId: string, hosts: number): Promise<void> {
  await until(
    "agents active",
    async () => {
      const list = (await admin.get(`/v2-beta/projects/${projectId}/hosts?limit=1000`)).body.data;
      return list.length === hosts && list.every((h: { agentState: string }) => h.agentState === "active");
    },
    60_000,
  );
}

/** Creates a stack with one service `web` at scale 0; returns the service's id. */
export async function scaleService(admin: Client, projectId: string): Promise<string> {
  const stack = expectStatus(
    await admin.post(`/v2-beta/projects/${projectId}/stacks`, {
      name: uniqueName("big"),
      dockerCompose: "services:\n  web:\n    image: busybox\n    command: sleep 3600\n",
      rancherCompose: "services:\n  web:\n    scale: 0\n",
    }),
    201,
  ).body;
  const services = (await admin.get(`/v2-beta/projects/${projectId}/services?stackId=${stack.id}`)).body.data;
  return services[0].id;
}

/** Latencies of `/ping` sampled while something ran, in ms. */
export class PingSampler {
  readonly samples: number[] = [];
  private running = true;
  private done: Promise<void>;

  constructor(url: string, everyMs = 10) {
    this.done = (async () => {
      while (this.running) {
        const t0 = performance.now();
        const res = await fetch(`${url}/ping`);
        await res.text();
        this.samples.push(performance.now() - t0);
        await Bun.sleep(everyMs);
      }
    })();
  }

  /** Stops sampling and returns the samples. */
  async stop(): Promise<number[]> {
    this.running = false;
    await this.done;
    return this.samples;
  }
}

/** The p-th percentile (0..100) of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The service's running units as the orchestrator counts them (one cached row read: cheap to poll). */
export function currentScale(server: RunningServer, serviceId: string): number {
  return server.store.getByPublicId<{ currentScale?: number }>("service", serviceId)?.data.currentScale ?? 0;
}

/** How many of the service's containers are running, counted in the store (exact; a scan). */
export function runningCount(server: RunningServer, serviceId: string): number {
  return server.store.db
    .query<{ n: number }, [string]>(
      `SELECT count(*) AS n FROM resource WHERE type = 'container' AND state = 'running'
         AND json_extract(data, '$.serviceId') = ?`,
    )
    .get(serviceId)!.n;
}

/** Closes the rig's agents. */
export async function closeRig(rig: ScaleRig): Promise<void> {
  for (const agent of rig.agents) await agent.close();
}
