// Finding 11 of issue 12, the agent's side: a joining agent pins the CA whose checksum its
// registration command carries, trusts it alone for every request and the websocket, keeps it with
// its keys, and refuses a wrong checksum, a server with another CA, plain HTTP and redirects.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { caChecksum, loadState, runAgent } from "@corral/agent";
import type { RunningServer } from "@corral/server";
import { FakeDriver } from "../../agent/testing/fake-driver.ts";
import { until } from "../api/harness.ts";
import {
  auth,
  capturingStderr,
  defaultToken,
  json,
  outside,
  portOf,
  removeTempDirs,
  serve,
  tempDir,
} from "./tls-kit.ts";

let server: RunningServer;
let token: string;

beforeAll(async () => {
  server = serve(tempDir("data"));
  ({ token } = await defaultToken(server));
});

afterAll(async () => {
  await server?.stop();
  removeTempDirs();
});

describe("a joining agent", () => {
  const httpsUrl = () => `https://${outside}:${portOf(server.httpsUrl!)}`;

  test("with the right checksum joins over HTTPS, pins the CA with its keys, and comes up", async () => {
    const stateDir = tempDir("agent");
    const stop = new AbortController();
    const running = runAgent({
      url: httpsUrl(),
      token,
      caChecksum: server.tls!.caChecksum,
      stateDir,
      driver: new FakeDriver(),
      signal: stop.signal,
    });
    try {
      await until(
        "the agent's host active",
        async () => {
          const r = await fetch(`${server.url}/v2-beta/hosts`, { headers: { Authorization: auth } });
          return (await json(r)).data.find((h: { agentState: string }) => h.agentState === "active");
        },
        20_000,
      );
      const state = await loadState(stateDir);
      expect(state.caCert).toBe(server.tls!.caPem);
      expect(state.url).toBe(httpsUrl());
      expect(statSync(join(stateDir, "agent.json")).mode & 0o777).toBe(0o600);
    } finally {
      stop.abort();
      await running;
    }
  });

  test("with a wrong checksum is refused before it sends anything", async () => {
    const stateDir = tempDir("agent-wrong");
    const wrong = caChecksum("not the server's CA");
    const before = await fetch(`${server.url}/v2-beta/hosts`, { headers: { Authorization: auth } });
    const count = (await json(before)).data.length;
    await expect(
      runAgent({ url: httpsUrl(), token, caChecksum: wrong, stateDir, driver: new FakeDriver() }),
    ).rejects.toThrow(`has SHA-256 ${server.tls!.caChecksum}, not ${wrong}`);
    const after = await fetch(`${server.url}/v2-beta/hosts`, { headers: { Authorization: auth } });
    expect((await json(after)).data.length).toBe(count);
  });

  test("without a checksum, or to a plain-HTTP address of the server, does not join unverified", async () => {
    const stateDir = tempDir("agent-none");
    await expect(runAgent({ url: httpsUrl(), token, stateDir, driver: new FakeDriver() })).rejects.toThrow(
      "needs the server CA's checksum",
    );
    // Plain HTTP off loopback: the redirect is not followed with the token.
    const plain = tempDir("agent-plain");
    const stop = new AbortController();
    await capturingStderr(async (log) => {
      const running = runAgent({
        url: `http://${outside}:${portOf(server.url)}`,
        token,
        stateDir: plain,
        driver: new FakeDriver(),
        signal: stop.signal,
      });
      await until("the redirect refusal in the log", () => log().includes("answers with a redirect"), 20_000);
      stop.abort();
      await running;
    });
  });

  test("after joining, refuses a server with another CA at the same address, and plain HTTP", async () => {
    const stateDir = tempDir("agent-swap");
    const swapData = tempDir("swap-a");
    const a = serve(swapData);
    const httpsPort = portOf(a.httpsUrl!);
    const url = `https://${outside}:${httpsPort}`;
    const aToken = (
      await json(
        fetch(`${a.url}/v2-beta/projects/${a.admin.defaultProjectId}/registrationtokens`, {
          headers: { Authorization: auth },
        }),
      )
    ).data[0].token;
    const stop = new AbortController();
    const running = runAgent({
      url,
      token: aToken,
      caChecksum: a.tls!.caChecksum,
      stateDir,
      driver: new FakeDriver(),
      signal: stop.signal,
    });
    await until(
      "the host active on server A",
      async () => {
        const r = await fetch(`${a.url}/v2-beta/hosts`, { headers: { Authorization: auth } });
        return (await json(r)).data.find((h: { agentState: string }) => h.agentState === "active");
      },
      20_000,
    );
    stop.abort();
    await running;
    await a.stop();
    // Server B: its own CA, on the same HTTPS port of the same address.
    const b = serve(tempDir("swap-b"), { https: { port: httpsPort } });
    try {
      expect(b.tls!.caChecksum).not.toBe(a.tls!.caChecksum);
      const again = new AbortController();
      await capturingStderr(async (log) => {
        // No token and no checksum: the agent reconnects with its keys and its pinned CA.
        const back = runAgent({ url, stateDir, driver: new FakeDriver(), signal: again.signal });
        await until(
          "the agent refusing server B's certificate",
          () => log().includes("does not chain to the CA this agent pinned"),
          20_000,
        );
        again.abort();
        await back;
      });
      const seen = await fetch(`${b.url}/v2-beta/hosts`, { headers: { Authorization: auth } });
      expect((await json(seen)).data).toHaveLength(0);
      // The pinned agent never talks plain HTTP to its server again.
      await expect(runAgent({ url: b.url, stateDir, driver: new FakeDriver() })).rejects.toThrow(
        "talks to it over HTTPS only",
      );
    } finally {
      await b.stop();
    }
  });
});
