import { afterAll, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { buildHttpRequest, createNetworkProbe, SocketLimiter, splitRequestLine, statusOf } from "./probe.ts";

describe("request lines", () => {
  test("split on spaces, honour quotes and escapes", () => {
    expect(splitRequestLine("GET /healthcheck HTTP/1.0")).toEqual(["GET", "/healthcheck", "HTTP/1.0"]);
    expect(splitRequestLine('GET "/" "HTTP/1.0"')).toEqual(["GET", "/", "HTTP/1.0"]);
    expect(splitRequestLine('GET "/a b"  "HTTP/1.1\\r\\nHost:\\ www"')).toEqual([
      "GET",
      "/a b",
      "HTTP/1.1\r\nHost: www",
    ]);
    expect(splitRequestLine('""')).toEqual([""]);
  });

  test("build requests the way HAProxy's httpchk does", () => {
    expect(buildHttpRequest("GET /healthcheck HTTP/1.0", "10.0.0.2")).toBe(
      "GET /healthcheck HTTP/1.0\r\nHost: 10.0.0.2\r\n\r\n",
    );
    expect(buildHttpRequest('GET "/" "HTTP/1.0"', "10.0.0.2")).toBe(
      "GET / HTTP/1.0\r\nHost: 10.0.0.2\r\n\r\n",
    );
    expect(buildHttpRequest("/ping", "::1")).toBe("OPTIONS /ping HTTP/1.0\r\nHost: [::1]\r\n\r\n");
    expect(buildHttpRequest("HEAD /", "h")).toBe("HEAD / HTTP/1.0\r\nHost: h\r\n\r\n");
    expect(buildHttpRequest('GET / "HTTP/1.1\\r\\nHost:\\ example.com"', "h")).toBe(
      "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    );
  });

  test("status lines", () => {
    expect(statusOf("HTTP/1.0 200 OK")).toBe(200);
    expect(statusOf("HTTP/1.1 302 Found")).toBe(302);
    expect(statusOf("HTTP/2 503")).toBe(503);
    expect(statusOf("SSH-2.0-OpenSSH")).toBeNull();
  });
});

/** A TCP server on loopback whose behaviour per connection the test decides. */
async function listen(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe("network probe", () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });
  const probe = createNetworkProbe();

  test("TCP passes on a listening port and fails on a closed one", async () => {
    const { server, port } = await listen((s) => s.end());
    servers.push(server);
    expect(await probe({ address: "127.0.0.1", port, responseTimeout: 1000 })).toEqual({ ok: true });
    server.close();
    await Bun.sleep(20);
    expect(await probe({ address: "127.0.0.1", port, responseTimeout: 1000 })).toEqual({
      ok: false,
      reason: "connection refused",
    });
  });

  test("HTTP passes on 2xx and 3xx, fails on 5xx, non-HTTP and silence", async () => {
    let answer = "HTTP/1.0 200 OK\r\n\r\nhello";
    let request = "";
    const { server, port } = await listen((socket) => {
      socket.once("data", (data) => {
        request = data.toString();
        if (answer) socket.end(answer);
      });
    });
    servers.push(server);
    const target = {
      address: "127.0.0.1",
      port,
      requestLine: "GET /index.html HTTP/1.0",
      responseTimeout: 300,
    };
    expect(await probe(target)).toEqual({ ok: true });
    expect(request).toBe("GET /index.html HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    answer = "HTTP/1.1 301 Moved\r\n";
    expect(await probe(target)).toEqual({ ok: true });
    answer = "HTTP/1.1 500 Internal Server Error\r\n\r\n";
    expect(await probe(target)).toEqual({ ok: false, reason: "HTTP 500" });
    answer = "220 smtp ready\r\n";
    expect(await probe(target)).toEqual({ ok: false, reason: "response is not HTTP" });
    answer = "";
    expect(await probe(target)).toEqual({ ok: false, reason: "no HTTP response within 300 ms" });
  });

  test("a server that closes without answering fails", async () => {
    const { server, port } = await listen((socket) => socket.once("data", () => socket.end()));
    servers.push(server);
    const result = await probe({
      address: "127.0.0.1",
      port,
      requestLine: "GET / HTTP/1.0",
      responseTimeout: 500,
    });
    expect(result).toEqual({ ok: false, reason: "connection closed before a response" });
  });

  test("the socket limiter holds at most max slots and hands them on in order", async () => {
    const limiter = new SocketLimiter(2);
    const order: string[] = [];
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    const c = limiter.acquire().then((release) => {
      order.push("c");
      return release;
    });
    await Bun.sleep(5);
    expect(order).toEqual([]);
    a();
    a();
    const releaseC = await c;
    expect(order).toEqual(["c"]);
    b();
    releaseC();
    // Both slots are free again: two more acquire at once.
    await Promise.all([limiter.acquire(), limiter.acquire()]);
  });
});
