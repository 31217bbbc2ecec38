// Finding 9 of issue 12: empty-body actions accepted `Content-Type: application/x-www-form-urlencoded`
// from any Origin, so a cross-site form could remove a stack once a browser had cached Basic
// credentials. Now state changes must be JSON (or untyped) and come from no Origin or our own, and
// every answer carries the usual security headers. The agent (register + websocket) and the real
// rancher CLI, which post JSON without an Origin, still work.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAgent } from "@corral/agent";
import type { RunningServer } from "@corral/server";
import { $ } from "bun";
import { FakeDriver } from "../../agent/testing/fake-driver.ts";
import {
  adminClient,
  type Client,
  createProject,
  expectStatus,
  type ProjectFixture,
  startTestServer,
  until,
} from "../api/harness.ts";
import { expectErrorBody, rawRequest, securityHeaders } from "./kit.ts";

let server: RunningServer;
let admin: Client;
let project: ProjectFixture;

beforeAll(async () => {
  server = startTestServer();
  admin = adminClient(server);
  project = await createProject(admin);
});

afterAll(async () => {
  await server.stop();
});

/** A stack that is not started (no host needed), for actions to aim at. */
async function stack(name: string): Promise<string> {
  return expectStatus(
    await project.client.post(`/v2-beta/projects/${project.id}/stacks`, {
      name,
      startOnCreate: false,
      dockerCompose: "version: '2'\nservices:\n  web:\n    image: busybox\n",
    }),
    201,
  ).body.id;
}

/** A stack's state (created stacks are `active` with inactive services until started). */
const stateOf = async (id: string) =>
  (await project.client.get(`/v2-beta/projects/${project.id}/stacks/${id}`)).body.state;

describe("the cross-site form probe", () => {
  test("a form post of ?action=remove from a foreign page is 403 and the stack stays", async () => {
    const id = await stack("form-target");
    const res = await project.client.raw(
      "POST",
      `/v2-beta/projects/${project.id}/stacks/${id}?action=remove`,
      {
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://evil.example" },
      },
    );
    expect(res.status).toBe(403);
    expect(expectErrorBody(403, res.body).code).toBe("PermissionDenied");
    expect(await stateOf(id)).toBe("active");
  });

  test("non-JSON state changes are 415 even without an Origin, body or not", async () => {
    const id = await stack("type-target");
    for (const type of [
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "text/plain",
    ]) {
      for (const body of [undefined, "a=b"]) {
        const res = await project.client.raw(
          "POST",
          `/v2-beta/projects/${project.id}/stacks/${id}?action=remove`,
          {
            headers: { "Content-Type": type },
            body,
          },
        );
        expect([type, body, res.status]).toEqual([type, body, 415]);
        expect(expectErrorBody(415, res.body).code).toBe("UnsupportedMediaType");
      }
    }
    const del = await project.client.raw("DELETE", `/v2-beta/projects/${project.id}/stacks/${id}`, {
      headers: { "Content-Type": "text/plain" },
    });
    expect(del.status).toBe(415);
    expect(await stateOf(id)).toBe("active");
  });

  test("a foreign Origin may not DELETE, PUT or create either, JSON or not", async () => {
    const id = await stack("origin-target");
    const evil = { Origin: "https://evil.example", "Content-Type": "application/json" };
    const tries: [string, string, string | undefined][] = [
      ["DELETE", `/v2-beta/projects/${project.id}/stacks/${id}`, undefined],
      ["PUT", `/v2-beta/projects/${project.id}/stacks/${id}`, '{"description":"x"}'],
      ["POST", `/v2-beta/projects/${project.id}/stacks`, '{"name":"evil"}'],
      ["POST", `/v2-beta/projects/${project.id}/stacks/${id}?action=remove`, "{}"],
    ];
    for (const [method, path, body] of tries) {
      const res = await project.client.raw(method, path, { headers: evil, body });
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }
    expect(await stateOf(id)).toBe("active");
  });

  test("our own origin with JSON, or no Origin at all, still works", async () => {
    const a = await stack("own-origin");
    const own = await project.client.raw(
      "POST",
      `/v2-beta/projects/${project.id}/stacks/${a}?action=remove`,
      {
        headers: { Origin: server.url, "Content-Type": "application/json" },
      },
    );
    expect(own.status).toBeLessThan(300);
    const b = await stack("no-origin");
    const plain = await project.client.raw("DELETE", `/v2-beta/projects/${project.id}/stacks/${b}`);
    expect(plain.status).toBeLessThan(300);
    await until(
      "both removed",
      async () =>
        ["removing", "removed"].includes(await stateOf(a)) &&
        ["removing", "removed"].includes(await stateOf(b)),
    );
  });

  test("the event stream refuses an upgrade from a foreign page and takes one from ours", async () => {
    const head = (origin: string) =>
      `GET /v2-beta/subscribe HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: ${project.client.auth}\r\nOrigin: ${origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const foreign = await rawRequest(server.port, head("http://evil.example"));
    expect(foreign.status).toBe(403);
    expectErrorBody(403, foreign.body);
    const ours = await rawRequest(server.port, head(`http://127.0.0.1:${server.port}`));
    expect(ours.status).toBe(101);
  });
});

describe("security headers", () => {
  test("every kind of answer carries them, with no-store (the UI's page: no-cache, revalidated)", async () => {
    const answers = await Promise.all([
      fetch(`${server.url}/`),
      fetch(`${server.url}/ping`),
      fetch(`${server.url}/v2-beta`, { headers: { Authorization: admin.auth! } }),
      fetch(`${server.url}/v2-beta/projects`, { headers: { Authorization: admin.auth! } }),
      fetch(`${server.url}/v2-beta/nothing-here`, { headers: { Authorization: admin.auth! } }),
      fetch(`${server.url}/v2-beta/projects`),
      fetch(`${server.url}/v2-beta/subscribe`),
      fetch(`${server.url}/v2-beta/projects`, {
        method: "POST",
        headers: { "Content-Type": "text/plain" },
        body: "x",
      }),
      fetch(`${server.url}/v2-beta/projects`, { headers: { Host: "a b" } }),
    ]);
    for (const res of answers) {
      for (const [k, v] of Object.entries(securityHeaders))
        expect([res.url, k, res.headers.get(k)]).toEqual([res.url, k, v]);
      const page = new URL(res.url).pathname === "/";
      expect([res.url, res.headers.get("cache-control")]).toEqual([res.url, page ? "no-cache" : "no-store"]);
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      await res.arrayBuffer();
    }
  });

  test("the CSP allows this origin's scripts and styles, no inline script, and the fallback page's style", async () => {
    // A data folder without a UI bundle: the fallback page, whose one inline style the CSP names by hash.
    const bare = startTestServer({ uiDir: join(tmpdir(), "corral-no-ui-here") });
    try {
      const res = await fetch(`${bare.url}/`);
      const csp = res.headers.get("content-security-policy")!;
      const page = await res.text();
      expect(page).toContain("web UI is not built");
      const style = /<style>([^<]*)<\/style>/.exec(page)![1]!;
      const hash = new Bun.CryptoHasher("sha256").update(style).digest("base64");
      expect(csp).toContain(`style-src 'self' 'sha256-${hash}'`);
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe");
    } finally {
      await bare.stop();
    }
  });
});

describe("the clients that post JSON without an Origin", () => {
  test("the real agent registers and its websocket session comes up", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "corral-abuse-agent-"));
    const stop = new AbortController();
    const running = runAgent({
      url: server.url,
      token: project.token,
      stateDir,
      driver: new FakeDriver(),
      signal: stop.signal,
    });
    try {
      const host = await until(
        "the agent's host active",
        async () =>
          (await admin.get(`/v2-beta/projects/${project.id}/hosts`)).body.data.find(
            (h: { agentState: string }) => h.agentState === "active",
          ),
        20_000,
      );
      expect(host.agentState).toBe("active");
    } finally {
      stop.abort();
      await running;
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  const cli = join(import.meta.dir, "../../../shared/tools/rancher-cli/rancher");
  test.skipIf(!existsSync(cli))("the real rancher CLI's actions and deletes pass the gate", async () => {
    const target = await createProject(admin);
    const { proxy, seen } = cliForwarder(server.url);
    try {
      const run = (...args: string[]) =>
        $`${cli} --url ${proxy.url} --access-key ${server.admin.accessKey} --secret-key ${server.admin.secretKey!} --env 1a2 ${args}`
          .nothrow()
          .quiet();
      const deactivated = await run("env", "deactivate", target.id);
      expect([deactivated.exitCode, deactivated.stderr.toString()]).toEqual([0, ""]);
      expect((await admin.get(`/v2-beta/projects/${target.id}`)).body.state).toBe("inactive");
      expect((await run("env", "activate", target.id)).exitCode).toBe(0);
      expect((await run("env", "rm", target.id)).exitCode).toBe(0);
      // What the CLI sent: JSON actions with an empty body, a DELETE without a type, no Origin.
      const writes = seen.filter((r) => r.method !== "GET");
      expect(writes.map((r) => [r.method, r.contentType, r.origin])).toEqual([
        ["POST", "application/json", null],
        ["POST", "application/json", null],
        ["DELETE", null, null],
      ]);
    } finally {
      proxy.stop(true);
    }
  });
});

/**
 * Forwards the CLI's requests unchanged (headers and body as the CLI sent them) and records what
 * the CLI sent; the gate sees exactly that.
 */
function cliForwarder(upstream: string) {
  const seen: { method: string; contentType: string | null; origin: string | null }[] = [];
  const proxy: Bun.Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req): Promise<Response> {
      const url = new URL(req.url);
      seen.push({
        method: req.method,
        contentType: req.headers.get("content-type"),
        origin: req.headers.get("origin"),
      });
      const path = url.pathname;
      // The CLI's own headers, Host included: the server writes its links for the forwarder's origin.
      const res = await fetch(`${upstream}${path}${url.search}`, {
        method: req.method,
        headers: req.headers,
        body: req.method === "GET" ? undefined : await req.arrayBuffer(),
      });
      const out = new Headers(res.headers);
      out.delete("content-encoding");
      out.delete("content-length");
      return new Response(await res.text(), { status: res.status, headers: out });
    },
  });
  return { proxy, seen };
}
