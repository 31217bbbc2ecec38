// Finding 5 of issue 12: `Host: a b` (and other bad Host headers) gave 500 on every route and, on
// websocket paths, Bun's development error page with source paths and lines. Now a bad Host is a
// 400 with Rancher's error body on every path, Bun runs in production mode, and the refusals Bun
// would make itself meet the API's own first where there is a hook for it (413).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningServer } from "@corral/server";
import { adminClient, createProject, type ProjectFixture, startTestServer } from "../api/harness.ts";
import { expectErrorBody, type RawAnswer, rawRequest, securityHeaders } from "./kit.ts";

let server: RunningServer;
let project: ProjectFixture;
let auth: string;

beforeAll(async () => {
  server = startTestServer();
  project = await createProject(adminClient(server));
  auth = project.client.auth!;
});

afterAll(async () => {
  await server.stop();
});

const badHosts = [
  "a b",
  "",
  "exa mple.com:80",
  "[::1",
  "host:99999",
  "a/b",
  "a, b",
  "h@x",
  "x:y",
  "<script>",
];
const upgrade =
  "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
const requests: [method: string, path: string, extra: string][] = [
  ["GET", "/", ""],
  ["GET", "/ping", ""],
  ["GET", "/metrics", ""],
  ["GET", "/v2-beta", ""],
  ["GET", "/v2-beta/projects", ""],
  ["GET", "/v2-beta/scripts/nope", ""],
  ["POST", "/v2-beta/register", "Content-Type: application/json\r\nContent-Length: 2\r\n"],
  ["GET", "/v2-beta/subscribe", upgrade],
  ["GET", "/v2-beta/agent/connect", upgrade],
  ["GET", "/v2-beta/streams?token=x", upgrade],
  ["GET", "/v2-beta/subscribe", ""],
];

/** Asserts an answer is the API's, not Bun's: error body, security headers, no source in sight. */
function expectApiRefusal(answer: RawAnswer, status: number): { code: string } {
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toStartWith("application/json");
  expect(answer.body).not.toMatch(/<!doctype|<html|\.ts:\d+|\/src\//i);
  for (const [k, v] of Object.entries(securityHeaders)) expect(answer.headers[k]).toBe(v);
  return expectErrorBody(status, answer.body);
}

describe("bad Host headers", () => {
  for (const host of badHosts) {
    test(`Host: ${JSON.stringify(host)} is 400 InvalidHeader on every path`, async () => {
      for (const [method, path, extra] of requests) {
        const head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${auth}\r\n${extra}\r\n`;
        const answer = await rawRequest(server.port, head, method === "POST" ? "{}" : "");
        expect([method, path, answer.status]).toEqual([method, path, 400]);
        expect(expectApiRefusal(answer, 400).code).toBe("InvalidHeader");
      }
    });
  }

  test("an HTTP/1.0 request without a Host is 400 too", async () => {
    const answer = await rawRequest(server.port, "GET /v2-beta/projects HTTP/1.0\r\n\r\n");
    expect(expectApiRefusal(answer, 400).code).toBe("InvalidHeader");
  });

  test("good Host headers still reach the routes", async () => {
    for (const host of ["localhost", `127.0.0.1:${server.port}`, "[::1]:8080", "corral.example.com"]) {
      const answer = await rawRequest(
        server.port,
        `GET /ping HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect([host, answer.status, answer.body]).toEqual([host, 200, "pong"]);
    }
  });
});

describe("refusals Bun would make itself", () => {
  test("a declared body over 1 MiB is the API's 413 at once, and the connection is closed", async () => {
    for (const length of [2 * 1024 * 1024, 200 * 1024 * 1024, 10 * 1024 ** 4]) {
      const t0 = performance.now();
      const answer = await rawRequest(
        server.port,
        `POST /v2-beta/projects/${project.id}/stacks HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
        "{",
      );
      expect(expectApiRefusal(answer, 413).code).toBe("TooLarge");
      expect(answer.closed).toBe(true);
      // Not after reading the body: nothing close to it was sent.
      expect(performance.now() - t0).toBeLessThan(5000);
    }
  });

  test("a chunked body over 1 MiB is the API's 413 too", async () => {
    const chunk = "x".repeat(64 * 1024);
    const piece = `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const answer = await rawRequest(
      server.port,
      `POST /v2-beta/projects/${project.id}/stacks HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      piece.repeat(20),
    );
    expect(expectApiRefusal(answer, 413).code).toBe("TooLarge");
  });

  // Bun 1.4.5 answers a head over 16 KiB (431) and an unparseable request (400) in native code,
  // before any JavaScript runs and with no hook: those answers have no body. What matters here is
  // that they are refusals, that they close the connection, and that the server goes on.
  test("a head over Bun's 16 KiB is 431 and an unparseable request 400; the server goes on", async () => {
    const big = await rawRequest(
      server.port,
      `GET /ping HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect([big.status, big.closed]).toEqual([431, true]);
    const garbage = await rawRequest(server.port, "GARBAGE\r\n\r\n");
    expect([garbage.status, garbage.closed]).toEqual([400, true]);
    const smuggle = await rawRequest(
      server.port,
      "POST /ping HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    expect(smuggle.status).toBe(400);
    expect((await fetch(`${server.url}/ping`)).status).toBe(200);
  });
});

test("errors never show Bun's development page: a websocket path without an upgrade is the API's error", async () => {
  const answer = await rawRequest(
    server.port,
    `GET /v2-beta/subscribe HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nConnection: close\r\n\r\n`,
  );
  expectApiRefusal(answer, answer.status);
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
});
