/**
 * Health roll-up on in-memory state: containers' health makes the service's, services' make their
 * stack's, and stacks' make the environment's.
 */
import { afterEach, expect, test } from "bun:test";
import { formatId } from "@corral/api";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import type { ProjectFields } from "../model/project.ts";
import type { ServiceHealth, StackFields } from "../model/service.ts";
import { deactivateService } from "../services/services.ts";
import { groupHealth } from "./health.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

const dockerCompose = `version: '2'
services:
  web:
    image: corral/busybox
    command: httpd -f -p 80
  db:
    image: corral/busybox
    command: sleep 3600
`;
const rancherCompose = `version: '2'
services:
  web:
    scale: 3
    health_check:
      port: 80
      strategy: none
  db:
    scale: 1
`;

/** Health of web, db, their stack and the environment. */
function health(): Record<string, ServiceHealth | undefined> {
  const stack = kit.store.all<StackFields>("stack", { projectId: kit.projectId })[0]!;
  return {
    web: kit.service("web").data.healthState,
    db: kit.service("db").data.healthState,
    stack: stack.data.healthState,
    environment: kit.row<ProjectFields & { healthState?: ServiceHealth }>("project", kit.projectId).data
      .healthState,
  };
}

function report(n: number, state: "healthy" | "unhealthy" | "initializing"): void {
  const c = kit.units("web")[n]!.containers[0]!;
  kit.agents.reportHealth(formatId("container", c.id), state);
}

test("a service is initializing until its checks pass; the stack and environment follow", async () => {
  kit = OrchestratorKit.start();
  kit.agents.health = () => null;
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  expect(health()).toEqual({
    web: "initializing",
    db: "healthy",
    stack: "initializing",
    environment: "initializing",
  });
  report(0, "healthy");
  report(1, "healthy");
  await kit.settle();
  expect(health().web).toBe("initializing");
  report(2, "healthy");
  await kit.settle();
  expect(health()).toEqual({ web: "healthy", db: "healthy", stack: "healthy", environment: "healthy" });
  expect(kit.service("web").data.currentScale).toBe(3);
});

test("some units unhealthy: degraded up the chain; all unhealthy: the service is unhealthy, the stack degraded", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  report(1, "unhealthy");
  await kit.settle();
  expect(health()).toEqual({ web: "degraded", db: "healthy", stack: "degraded", environment: "degraded" });
  report(0, "unhealthy");
  report(2, "unhealthy");
  await kit.settle();
  expect(health()).toEqual({ web: "unhealthy", db: "healthy", stack: "degraded", environment: "degraded" });
  for (const n of [0, 1, 2]) report(n, "healthy");
  await kit.settle();
  expect(health()).toEqual({ web: "healthy", db: "healthy", stack: "healthy", environment: "healthy" });
});

test("a stopped container makes its service degraded until it runs again", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  const seen = new Set<string>();
  const stop = kit.watch(() => {
    seen.add(`${kit.service("web").data.healthState} ${kit.service("web").data.currentScale}`);
  });
  const c = kit.units("web")[0]!.containers[0]!;
  kit.agents.exit(formatId("container", c.id), 137);
  await kit.settle();
  stop();
  expect(seen.has("degraded 2")).toBe(true);
  expect(health().web).toBe("healthy");
  expect(kit.service("web").data.currentScale).toBe(3);
});

test("an inactive service does not count in its stack's health", async () => {
  kit = OrchestratorKit.start();
  kit.createStack("shop", dockerCompose, rancherCompose);
  await kit.settle();
  for (const n of [0, 1, 2]) report(n, "unhealthy");
  await kit.settle();
  expect(health().stack).toBe("degraded");
  deactivateService(kit.ctx, formatId("service", kit.service("web").id));
  await kit.settle();
  expect(kit.service("web").state).toBe("inactive");
  expect(health()).toMatchObject({ db: "healthy", stack: "healthy", environment: "healthy" });
});

test("a unit that cannot be placed leaves its service unhealthy and its stack degraded", async () => {
  kit = OrchestratorKit.start({ hosts: [{}] });
  kit.createStack(
    "shop",
    `${dockerCompose}    labels:\n      io.rancher.scheduler.affinity:host_label: role=db\n`,
    rancherCompose,
  );
  await kit.settle();
  expect(health()).toEqual({ web: "healthy", db: "unhealthy", stack: "degraded", environment: "degraded" });
});

test.each<[ServiceHealth[], ServiceHealth]>([
  [[], "healthy"],
  [["healthy", "started-once"], "healthy"],
  [["started-once"], "healthy"],
  [["healthy", "initializing"], "initializing"],
  [["healthy", "degraded", "initializing"], "degraded"],
  [["unhealthy"], "unhealthy"],
  [["unhealthy", "unhealthy"], "unhealthy"],
  [["unhealthy", "healthy"], "degraded"],
  [["unhealthy", "initializing"], "degraded"],
])("a group of %p is %p", (members, want) => {
  expect(groupHealth(members)).toBe(want);
});
