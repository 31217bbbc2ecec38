/**
 * End-to-end logs, exec and stats against the real Docker engine: the `logs` and `execute` actions
 * hand out a hostAccess websocket that carries the container's output (and exec's stdin) through the
 * server and the agent process; exec's exit code arrives as the close reason; stats come from Docker.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Env, readStream, removeDockerLeftovers, startEnv, testImage, uniqueName } from "./harness.ts";

let env: Env;
let id = "";

beforeAll(async () => {
  env = await startEnv();
  const created = await env.api.createContainer({
    name: uniqueName("echo"),
    imageUuid: `docker:${testImage}`,
    command: ["sh", "-c", "for i in 1 2 3; do echo line-$i; done; echo to-stderr >&2; exec sleep 3600"],
  });
  id = created.id;
  await env.api.waitContainer(id, "running");
}, 60_000);

afterAll(async () => {
  await env?.stop();
  await removeDockerLeftovers();
}, 30_000);

/** Runs an action that answers with hostAccess and checks the answer's shape. */
async function hostAccess(action: "logs" | "execute", body: unknown): Promise<string> {
  const answer = await env.api.action(id, action, body);
  expect(answer.status).toBe(200);
  expect(answer.body.type).toBe("hostAccess");
  expect(typeof answer.body.token).toBe("string");
  expect(answer.body.url).toStartWith("ws://");
  return answer.body.url;
}

describe("logs", () => {
  test("logs without follow return the lines the container printed, then close", async () => {
    const url = await hostAccess("logs", { follow: false, lines: 100 });
    const result = await readStream(url);
    // stdout keeps its order; Docker may interleave stderr anywhere (two pipes, two copiers).
    const lines = result.output.split("\n").filter(Boolean);
    expect(lines.filter((l) => l.startsWith("line-"))).toEqual(["line-1", "line-2", "line-3"]);
    expect(lines).toContain("to-stderr");
    expect(lines).toHaveLength(4);
    expect(result.code).toBe(1000);
  }, 60_000);

  test("lines limits the output to the last lines", async () => {
    const url = await hostAccess("logs", { follow: false, lines: 1 });
    const result = await readStream(url);
    expect(result.output).not.toContain("line-1");
    expect(result.output.trim().split("\n")).toHaveLength(1);
  }, 60_000);

  test("follow keeps the stream open with the output so far", async () => {
    const url = await hostAccess("logs", { follow: true, lines: 100 });
    const result = await readStream(url, { until: (out) => out.includes("line-3") });
    expect(result.output).toContain("line-1");
    expect(result.reason).toBe("client done");
  }, 60_000);

  test("a hostAccess token works only once", async () => {
    const url = await hostAccess("logs", { follow: false });
    await readStream(url);
    const again = await readStream(url);
    expect(again.output).toBe("");
    expect(again.code).not.toBe(1000);
  }, 60_000);
});

describe("execute", () => {
  test("echo hi prints hi and closes with exit 0", async () => {
    const url = await hostAccess("execute", { command: ["echo", "hi"], attachStdin: false });
    const result = await readStream(url);
    expect(result.output).toBe("hi\n");
    expect(result.reason).toBe("exit 0");
  }, 60_000);

  test("a failing command closes with its exit code", async () => {
    const url = await hostAccess("execute", { command: ["sh", "-c", "exit 3"], attachStdin: false });
    const result = await readStream(url);
    expect(result.reason).toBe("exit 3");
  }, 60_000);

  test("cat echoes what is sent on the socket as stdin", async () => {
    const url = await hostAccess("execute", { command: ["cat"], attachStdin: true });
    const result = await readStream(url, {
      input: ["hello stdin\n", "second line\n"],
      until: (out) => out.includes("second line\n"),
    });
    expect(result.output).toBe("hello stdin\nsecond line\n");
  }, 60_000);

  test("head exits by itself after reading stdin, with exit 0", async () => {
    const url = await hostAccess("execute", { command: ["head", "-n", "1"], attachStdin: true });
    const result = await readStream(url, { input: ["only this\n"] });
    expect(result.output).toBe("only this\n");
    expect(result.reason).toBe("exit 0");
  }, 60_000);

  test("execute needs a command", async () => {
    const answer = await env.api.action(id, "execute", { attachStdin: false });
    expect(answer.status).toBe(422);
  }, 60_000);
});

describe("stats", () => {
  test("stats of a running container carry memory numbers", async () => {
    const answer = await env.api.request("GET", env.api.project(`/containers/${id}/stats`));
    expect(answer.status).toBe(200);
    expect(answer.body.type).toBe("containerStats");
    expect(answer.body.id).toBe(id);
    const text = JSON.stringify(answer.body);
    expect(text.toLowerCase()).toContain("memory");
    const memory = findNumber(answer.body, /mem/i);
    expect(memory).toBeGreaterThan(0);
  }, 60_000);
});

/** The first positive number under a key matching `pattern`, anywhere in `value`. */
function findNumber(value: unknown, pattern: RegExp, inside = false): number | null {
  if (typeof value === "number") return inside && value > 0 ? value : null;
  if (!value || typeof value !== "object") return null;
  for (const [k, v] of Object.entries(value)) {
    const found = findNumber(v, pattern, inside || pattern.test(k));
    if (found !== null) return found;
  }
  return null;
}
