import { expect, test } from "bun:test";
import { KeyedQueue } from "./keyed-queue.ts";

/** A piece of work the test ends by hand, recording when it starts and ends. */
function step(log: string[], name: string) {
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  const work = async () => {
    log.push(`start ${name}`);
    try {
      return await promise;
    } finally {
      log.push(`end ${name}`);
    }
  };
  return { work, resolve: () => resolve(name), reject: () => reject(new Error(name)) };
}

test("work on one key runs in order, one at a time; other keys do not wait", async () => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  const a1 = step(log, "a1");
  const a2 = step(log, "a2");
  const b1 = step(log, "b1");
  const first = queue.run("a", a1.work);
  const second = queue.run("a", a2.work);
  const other = queue.run("b", b1.work);
  await Bun.sleep(0);
  expect(log).toEqual(["start a1", "start b1"]);
  expect(queue.busyKeys).toBe(2);
  b1.resolve();
  expect(await other).toBe("b1");
  a1.resolve();
  expect(await first).toBe("a1");
  await Bun.sleep(0);
  expect(log).toEqual(["start a1", "start b1", "end b1", "end a1", "start a2"]);
  a2.resolve();
  expect(await second).toBe("a2");
});

test("a failure reaches its caller only, the next piece still runs, and drained keys are forgotten", async () => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  const bad = step(log, "bad");
  const good = step(log, "good");
  const failing = queue.run("k", bad.work);
  const after = queue.run("k", good.work);
  const thrown = queue.run("k", () => {
    throw new Error("sync");
  });
  bad.reject();
  await expect(failing).rejects.toThrow("bad");
  good.resolve();
  expect(await after).toBe("good");
  await expect(thrown).rejects.toThrow("sync");
  await Bun.sleep(0);
  expect(queue.busyKeys).toBe(0);
});
