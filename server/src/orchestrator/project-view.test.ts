/**
 * The scheduler a project keeps from pass to pass: what it holds must always equal what the store
 * holds now (containers gone are released, hosts gone are dropped), or a kept record would block a
 * port, a name or an address forever.
 */
import { afterEach, expect, test } from "bun:test";
import { yieldToLoop } from "@corral/lib";
import { OrchestratorKit } from "../../testing/orchestrator-kit.ts";
import { ProjectView } from "./project-view.ts";

let kit: OrchestratorKit;
afterEach(() => kit?.close());

const load = () => ProjectView.load(kit.store, kit.agents, kit.projectId, yieldToLoop);

const webOn8080 = `version: '2'
services:
  web:
    image: corral/busybox
    command: httpd -f -p 80
    ports: ["8080:80"]
`;

test("a project's scheduler is kept across passes and follows the store", async () => {
  kit = OrchestratorKit.start({ hosts: [{}, {}] });
  kit.createStack("shop", webOn8080, "version: '2'\nservices:\n  web:\n    scale: 2\n");
  await kit.settle();
  const first = (await load()).sched();
  expect((await load()).sched()).toBe(first);
  expect(kit.hostIds.map((h) => first.usage(h)?.instances)).toEqual([1, 1]);

  // Scaled down: the removed unit's record (and its port) is released at the next load.
  kit.scale("web", 1);
  await kit.settle();
  const sched = (await load()).sched();
  expect(kit.hostIds.map((h) => sched.usage(h)?.instances ?? 0).reduce((a, b) => a + b)).toBe(1);

  // Scaled up again: the port freed above takes a unit again (a stale record would refuse it).
  kit.scale("web", 2);
  await kit.settle();
  expect(kit.containers("web", ["running"])).toHaveLength(2);
  expect(kit.service("web").data.schedulingMessage ?? "").toBe("");
});

test("a removed host's records leave the kept scheduler", async () => {
  kit = OrchestratorKit.start({ hosts: [{}, {}] });
  kit.createStack("shop", webOn8080, "version: '2'\nservices:\n  web:\n    scale: 2\n");
  await kit.settle();
  const [gone, stays] = kit.hostIds as [string, string];
  kit.removeHost(gone);
  await kit.settle();
  const sched = (await load()).sched();
  expect(sched.hostIds()).toEqual([stays]);
  expect(sched.instanceIds().every((id) => sched.hostOf(id) !== gone)).toBe(true);
});
