import { describe, expect, test } from "bun:test";
import { createLogger } from "@corral/lib";
import { sampleState } from "../../testing/dns-state.ts";
import { HostStateBus } from "../host-state-bus.ts";
import { NOT_FOUND, renderText, toMeta, walk } from "./render.ts";
import { startMetadataServer } from "./server.ts";
import { buildMetadata, viewFor } from "./tree.ts";

describe("renderText (rancher-metadata's plain format)", () => {
  test("scalars print bare, null prints nothing", () => {
    expect(renderText("x")).toBe("x");
    expect(renderText(3)).toBe("3");
    expect(renderText(1.5)).toBe("1.5");
    expect(renderText(false)).toBe("false");
    expect(renderText(null)).toBe("");
  });

  test("maps list sorted keys, escaped, with / for maps and lists", () => {
    expect(renderText({ b: 1, a: { x: 1 }, "c d/e": [], n: null })).toBe("a/\nb\nc+d%2Fe/\nn\n");
  });

  test("lists: index=name for named items, index/ for others, index for scalars", () => {
    expect(renderText([{ name: "web x" }, { id: 1 }, [1], "s"])).toBe("0=web+x\n1/\n2/\n3\n");
  });
});

describe("walk", () => {
  const tree = {
    list: [
      { name: "a", v: 1 },
      { name: "b", v: 2 },
    ],
    m: { k: null },
  };
  test("by key, by index, by item name; missing is NOT_FOUND, present null is null", () => {
    expect(walk(tree, ["list", "b", "v"])).toBe(2);
    expect(walk(tree, ["list", "0", "v"])).toBe(1);
    expect(walk(tree, ["m", "k"])).toBeNull();
    expect(walk(tree, ["m", "z"])).toBe(NOT_FOUND);
    expect(walk(tree, ["list", "7"])).toBe(NOT_FOUND);
    expect(walk(tree, ["m", "k", "deeper"])).toBe(NOT_FOUND);
    expect(walk(tree, ["m", "constructor"])).toBe(NOT_FOUND);
  });

  test("free-form service metadata is made JSON-safe", () => {
    expect(toMeta({ a: undefined, b: Number.NaN, c: [1, { d: true }] })).toEqual({
      a: null,
      b: null,
      c: [1, { d: true }],
    });
  });
});

describe("tree", () => {
  test("an address that is no container has only self/host", () => {
    const view = viewFor(buildMetadata(sampleState()), "192.0.2.99");
    expect(Object.keys(view.self as object)).toEqual(["host"]);
  });

  test("before the first host state: version 0, everything else 503", async () => {
    const server = await startMetadataServer({
      bus: new HostStateBus(),
      logger: createLogger("md-test"),
      address: "127.0.0.1",
      port: 0,
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect(await (await fetch(`${base}/latest/version`)).text()).toBe("0");
      expect((await fetch(`${base}/latest/services`)).status).toBe(503);
      expect((await fetch(`${base}/latest/services`, { method: "POST" })).status).toBe(405);
      expect((await fetch(`${base}/latest/%E0%A4%A`)).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
