import { expect, test } from "bun:test";
import { hostFactsSchema } from "@corral/api";
import { FakeDriver } from "../testing/fake-driver.ts";
import { collectHostFacts } from "./host-facts.ts";

test("host facts satisfy the schema and repeated collection is cheap", async () => {
  const driver = new FakeDriver();
  const facts = await collectHostFacts(driver);
  expect(hostFactsSchema.parse(facts)).toEqual(facts);
  expect(facts.dockerVersion).toBe("99.0.0-fake");
  expect(facts.cpuCount).toBeGreaterThan(0);
  expect(facts.memoryTotal).toBeGreaterThan(facts.memoryUsed);
  expect(facts.disks.length).toBeLessThanOrEqual(32);
  // Containers' overlay roots (while any run on this machine) are theirs, not host disks.
  expect(facts.disks.filter((d) => /^\/(var\/lib|run)\/docker\//.test(d.mount))).toEqual([]);
  expect(facts.ipAddresses.every((ip) => ip !== "127.0.0.1" && !ip.startsWith("fe80"))).toBe(true);
  const started = performance.now();
  await collectHostFacts(driver);
  // Static parts, disks and addresses are cached; only load and memory are read again.
  expect(performance.now() - started).toBeLessThan(250);
});
