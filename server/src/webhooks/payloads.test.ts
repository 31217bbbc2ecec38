import { describe, expect, test } from "bun:test";
import { canonicalRepository, parseImage, pushesOf } from "./payloads.ts";

describe("image names", () => {
  test("Docker Hub's defaults, registry hosts with ports, tags and digests", () => {
    expect(parseImage("docker:nginx")).toEqual({
      written: "nginx",
      canonical: "docker.io/library/nginx",
      tag: "latest",
    });
    expect(parseImage("acme/site:2").canonical).toBe("docker.io/acme/site");
    expect(parseImage("docker.io/library/nginx:1.25").canonical).toBe("docker.io/library/nginx");
    expect(parseImage("index.docker.io/acme/site").canonical).toBe("docker.io/acme/site");
    expect(parseImage("localhost:5000/shop/web:1")).toEqual({
      written: "localhost:5000/shop/web",
      canonical: "localhost:5000/shop/web",
      tag: "1",
    });
    expect(parseImage("Reg.Example.com/a/b@sha256:abc").canonical).toBe("reg.example.com/a/b");
    expect(canonicalRepository("localhost/web")).toBe("localhost/web");
  });
});

describe("payloads", () => {
  test("a registry envelope yields its tagged pushes, once each, with the host clients used", () => {
    const events = [
      { action: "push", target: { repository: "a", tag: "1" }, request: { host: "r:5000" } },
      { action: "push", target: { repository: "a", tag: "1" }, request: { host: "r:5000" } },
      { action: "push", target: { repository: "a" } },
      { action: "pull", target: { repository: "a", tag: "1" } },
    ];
    expect(pushesOf("registry", { events })).toEqual([{ repository: "r:5000/a", tag: "1" }]);
    expect(pushesOf("registry", { events: [] })).toEqual([]);
  });

  test("what is not the format is refused", () => {
    for (const body of [null, [], "x", { events: {} }, { events: [{ action: 1 }] }])
      expect(() => pushesOf("registry", body)).toThrow("not a registry notification envelope");
    for (const body of [
      null,
      {},
      { push_data: {} },
      { push_data: { tag: "" }, repository: { repo_name: "a" } },
    ])
      expect(() => pushesOf("dockerhub", body)).toThrow("not a Docker Hub push payload");
  });
});
