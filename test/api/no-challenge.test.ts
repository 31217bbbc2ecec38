// A 401 carries a Basic challenge (curl and Rancher's CLI expect it), except when the client sends
// `X-API-No-Challenge: true` as Rancher's web UI did: a browser would show its own password dialog
// over the UI's login page.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { startTestServer } from "./harness.ts";

let server: RunningServer;

beforeAll(() => {
  server = startTestServer();
});

afterAll(() => server.stop());

test("an anonymous request gets the challenge; one asking for none gets a bare 401", async () => {
  const plain = await fetch(`${server.url}/v2-beta/projects`);
  expect(plain.status).toBe(401);
  expect(plain.headers.get("www-authenticate")).toBe('Basic realm="corral"');
  const quiet = await fetch(`${server.url}/v2-beta/projects`, { headers: { "X-API-No-Challenge": "true" } });
  expect(quiet.status).toBe(401);
  expect(quiet.headers.get("www-authenticate")).toBeNull();
  expect(((await quiet.json()) as { code: string }).code).toBe("Unauthorized");
});

test("the UI's pages and assets are public, an unknown asset is a 404 error body", async () => {
  const page = await fetch(`${server.url}/env/1a2/stacks`);
  expect(page.status).toBe(200);
  expect(page.headers.get("cache-control")).toBe("no-cache");
  for (const name of ["nothing-here.js", "..%2F..%2Fpackage.json", "a.exe"]) {
    const res = await fetch(`${server.url}/assets/${name}`);
    expect([name, res.status]).toEqual([name, 404]);
    expect(((await res.json()) as { type: string }).type).toBe("error");
  }
});
