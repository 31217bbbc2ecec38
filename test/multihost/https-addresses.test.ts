/**
 * An address that comes up while the server runs gets into its certificate: a Docker bridge with no
 * container is not up when the server starts, so its gateway is not named; once a container joins
 * it, the server makes a new certificate under the same CA and serves it on the same port, and an
 * agent connected before the change stays connected.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAgent } from "@corral/agent";
import { defaultRegistrationToken, type RunningServer, startServer } from "@corral/server";
import { FakeDriver } from "../../agent/testing/fake-driver.ts";
import { waitFor } from "./cluster.ts";
import { docker, dockerOk, ownerLabel, ownerValue, resourcePrefix } from "./docker-cli.ts";

const runId = Math.random().toString(36).slice(2, 8);
const network = `${resourcePrefix}tls-${runId}`;
const container = `${resourcePrefix}tls-box-${runId}`;
const dir = mkdtempSync(join(tmpdir(), `${resourcePrefix}tls-`));
let server: RunningServer | null = null;
const stopAgent = new AbortController();
let agent: Promise<void> | null = null;

afterAll(async () => {
  stopAgent.abort();
  await agent;
  await docker(["rm", "--force", container]);
  await docker(["network", "rm", network]);
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

test("a bridge that comes up is named by a new certificate from the same CA, served on the same port", async () => {
  await dockerOk(["network", "create", "--label", `${ownerLabel}=${ownerValue}`, network]);
  const gateway = await dockerOk([
    "network",
    "inspect",
    "--format",
    "{{(index .IPAM.Config 0).Gateway}}",
    network,
  ]);
  server = startServer({
    port: 0,
    hostname: "0.0.0.0",
    dataDir: join(dir, "data"),
    env: { CORRAL_ADMIN_ACCESS_KEY: "TLSADDRADMIN", CORRAL_ADMIN_SECRET_KEY: `s${crypto.randomUUID()}` },
    https: { port: 0, addressCheckMs: 250 },
  });
  const s = server;
  const port = new URL(s.httpsUrl!).port;
  const ca = s.tls!.caPem;
  const before = readFileSync(join(dir, "data", "tls", "server.crt"), "utf8");
  // An agent joins over HTTPS on loopback before the change.
  agent = runAgent({
    url: s.httpsUrl!,
    token: defaultRegistrationToken(s.store)!,
    caChecksum: s.tls!.caChecksum,
    stateDir: join(dir, "agent"),
    driver: new FakeDriver(),
    signal: stopAgent.signal,
  });
  await waitFor("the agent connected", async () => s.hub.connectedCount === 1, 20_000);
  // The gateway is not named yet: a client trusting the CA refuses the certificate there.
  await expect(fetch(`https://${gateway}:${port}/ping`, { tls: { ca } })).rejects.toThrow();
  await dockerOk([
    "run",
    "--detach",
    `--name=${container}`,
    `--network=${network}`,
    `--label=${ownerLabel}=${ownerValue}`,
    "corral/busybox:latest",
    "sleep",
    "600",
  ]);
  const answer = await waitFor(
    `a certificate naming ${gateway}`,
    async () => (await fetch(`https://${gateway}:${port}/ping`, { tls: { ca } })).text(),
    30_000,
    250,
  );
  expect(answer).toBe("pong");
  expect(readFileSync(join(dir, "data", "tls", "server.crt"), "utf8")).not.toBe(before);
  expect(readFileSync(join(dir, "data", "tls", "ca.crt"), "utf8")).toBe(ca);
  // The agent connected through the first listener is still connected.
  expect(s.hub.connectedCount).toBe(1);
}, 90_000);
