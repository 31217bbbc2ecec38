/**
 * Health roll-ups of stacks and environments leave every host's view as it was, so they must not
 * rebuild it: during a scale-up each roll-up rebuilt the whole table (a second per rebuild at
 * 10,000 containers). A change the view does hold (an environment's port range) still rebuilds it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseId } from "@corral/api";
import { type LargeEnvironment, largeEnvironment } from "../../testing/large-environment.ts";
import { RecordingSink } from "../../testing/state-sink.ts";
import { StatePublisher } from "./publisher.ts";

let env: LargeEnvironment;
let publisher: StatePublisher;
let sink: RecordingSink;
/** How many times the environment's containers were read in full (what a rebuild does). */
let containerReads = 0;

beforeAll(async () => {
  env = largeEnvironment({ hosts: 3, stacks: 2, servicesPerStack: 2, containersPerService: 2 });
  const all = env.store.all.bind(env.store);
  env.store.all = ((type: string, ...rest: unknown[]) => {
    if (type === "container") containerReads++;
    return (all as (...a: unknown[]) => unknown)(type, ...rest);
  }) as typeof env.store.all;
  sink = new RecordingSink(env.hostIds);
  publisher = new StatePublisher(env.store, sink, 5);
  for (const h of env.hostIds) publisher.hello(h);
  await published();
});

afterAll(() => {
  publisher.stop();
  env.store.db.close();
});

/** Waits past the publisher's debounce, so whatever was scheduled has run. */
const published = () => Bun.sleep(60);

test("a stack's or an environment's health change does not rebuild the view", async () => {
  const stack = env.store.all("stack", { projectId: env.projectId })[0]!;
  const projectRow = parseId("project", env.projectId)!;
  const before = containerReads;
  for (const health of ["degraded", "healthy", "initializing"]) {
    env.store.update(stack.id, { data: { healthState: health } });
    env.store.update(projectRow, { data: { healthState: health } });
    await published();
  }
  expect(containerReads).toBe(before);
});

test("an environment's port range change rebuilds the view", async () => {
  const before = containerReads;
  env.store.update(parseId("project", env.projectId)!, {
    data: { servicesPortRange: { startPort: 40000, endPort: 40100 } },
  });
  await published();
  await Bun.sleep(100);
  expect(containerReads).toBeGreaterThan(before);
});
