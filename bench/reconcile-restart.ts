/**
 * Benchmark: orchestrator convergence after a server restart with 1,000 services in the store.
 *
 * - Seeding (clearly not the measured part): a server on a fresh data dir; one host row and 1,000
 *   services of one stack are written straight into the store, each with one running container
 *   row on that host, i.e. a store that already matches its desired state.
 * - Measured: a new server process-equivalent (`startServer` on the same data dir, in this process)
 *   until its orchestrator's first full pass has judged every service; the pass must report 0
 *   changes (converged, nothing to do). Baseline in the same run: the same `startServer` on an
 *   empty data dir, to its first (empty) pass.
 *
 * Target: converged (no change needed) within 5 s.
 *
 * Run: `export PATH=/work/main/node_modules/.bin:$PATH; bun bench/reconcile-restart.ts [services=1000] [runs=5]`
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatId } from "@corral/api";
import { startServer } from "@corral/server";
import { fmt, machineLine, median, revision } from "./lib/common.ts";

const services = Number(process.argv[2] ?? 1000);
const runs = Number(process.argv[3] ?? 5);
const env = {
  CORRAL_ADMIN_ACCESS_KEY: "benchadmin",
  CORRAL_ADMIN_SECRET_KEY: "benchsecret-0123456789",
  CORRAL_LOG_LEVEL: "warn",
};
process.env.CORRAL_LOG_LEVEL = "warn";

/** Writes a converged store: one host, one stack, N services with one running container each. */
async function seed(dataDir: string): Promise<void> {
  const server = startServer({ port: 0, dataDir, env });
  const { store } = server;
  server.orchestrator.stop();
  const projectId = server.admin.defaultProjectId;
  store.transaction(() => {
    const host = store.insert("host", {
      projectId,
      name: "seed-host",
      state: "active",
      lookup: "seed-host-uuid",
      data: {
        hostname: "seed-host",
        uuid: "seed-host-uuid",
        labels: {},
        info: null,
        agentState: "active",
        agentAccountId: "",
        agentIpAddress: "",
        lastPingAt: Date.now(),
      },
    });
    const hostId = formatId("host", host.id);
    const stack = store.insert("stack", {
      projectId,
      name: "bench",
      state: "active",
      data: {
        dockerCompose: "",
        rancherCompose: "",
        environment: {},
        startOnCreate: true,
        healthState: "healthy",
      },
    });
    const stackId = formatId("stack", stack.id);
    for (let i = 0; i < services; i++) {
      const launchConfig = {
        imageUuid: "docker:corral/busybox:latest",
        command: ["sleep", "3600"],
        environment: {},
        labels: {},
        ports: [],
        expose: [],
        dataVolumes: [],
        dataVolumesFrom: [],
        dataVolumesFromLaunchConfigs: [],
        networkMode: "managed",
        tty: false,
        stdinOpen: false,
        privileged: false,
        capAdd: [],
        capDrop: [],
        devices: [],
        dns: [],
        dnsSearch: [],
        extraHosts: [],
        pullPolicy: "missing",
      };
      const svc = store.insert("service", {
        projectId,
        name: `svc-${i}`,
        state: "active",
        data: {
          kind: "service",
          scale: 1,
          global: false,
          launchConfig,
          secondaryLaunchConfigs: [],
          links: [],
          externalLinks: [],
          dependsOn: [],
          retainIp: false,
          startOnCreate: true,
          externalIpAddresses: [],
          stackId,
          version: "0",
          nextCreateIndex: 2,
          currentScale: 1,
          healthState: "healthy",
        },
      });
      store.insert("container", {
        projectId,
        name: `bench-svc-${i}-1`,
        state: "running",
        data: {
          ...launchConfig,
          labels: { "io.rancher.stack_service.name": `bench/svc-${i}` },
          hostId,
          serviceId: formatId("service", svc.id),
          stackId,
          deploymentUnitUuid: `unit-${i}`,
          createIndex: 1,
          launchConfigName: "",
          serviceVersion: "0",
          startOnce: false,
          startOnCreate: true,
          externalId: `docker-${i}`,
          primaryIpAddress: null,
          exitCode: null,
          startCount: 1,
          publicEndpoints: [],
          healthState: null,
        },
      });
    }
  });
  await server.stop();
}

/** Starts a server on `dataDir` and times it until the orchestrator's first full pass is done. */
async function restart(dataDir: string): Promise<{ ms: number; changed: number }> {
  const t0 = performance.now();
  const server = startServer({ port: 0, dataDir, env });
  const changed = await server.orchestrator.pass();
  const ms = performance.now() - t0;
  await server.stop();
  return { ms, changed };
}

const full = mkdtempSync(join(tmpdir(), "corral-bench-reconcile-"));
const empty = mkdtempSync(join(tmpdir(), "corral-bench-empty-"));
try {
  await seed(full);
  await restart(empty);
  const seeded: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    const b = await restart(empty);
    baseline.push(b.ms);
    const r = await restart(full);
    if (r.changed !== 0)
      throw new Error(`run ${i}: the pass changed ${r.changed} services; the seeded store was not converged`);
    seeded.push(r.ms);
  }
  console.log(machineLine());
  console.log(`revision ${revision()}`);
  console.log(
    `restart with ${services} converged services, to first full pass: median ${fmt(median(seeded))} ms (runs: ${seeded.map((v) => fmt(v)).join(", ")})`,
  );
  console.log(`baseline, empty store, same steps: median ${fmt(median(baseline))} ms`);
  console.log(`target <= 5000 ms: ${median(seeded) <= 5000 ? "met" : "MISSED"}`);
} finally {
  rmSync(full, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
}
