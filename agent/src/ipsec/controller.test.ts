// The controller's bookkeeping against a fake runtime and iptables (the real strongSwan is in the
// multi-host tests): which swanctl calls a pass makes.
import { expect, test } from "bun:test";
import type { HostState, IpsecPeer } from "@corral/api";
import { createLogger } from "@corral/lib";
import { sampleState } from "../../testing/dns-state.ts";
import type { Iptables } from "../ports/iptables.ts";
import { IpsecController } from "./controller.ts";
import type { IpsecRuntime, RunResult } from "./runtime.ts";

process.env.CORRAL_LOG_LEVEL ??= "error";

/** A runtime whose charon reports `sas` (raw `--list-sas` lines); every swanctl call is recorded. */
function fakeRuntime() {
  const calls: string[] = [];
  let fresh = true;
  const runtime: IpsecRuntime & { sas: string } = {
    sas: "",
    probe: async () => ({ plane: "kernel", detail: "fake" }),
    ensure: async () => {
      const was = fresh;
      fresh = false;
      return { id: "c1", fresh: was };
    },
    writeSwanctl: async () => {},
    swanctl: async (_id, args): Promise<RunResult> => {
      calls.push(args[0]!);
      return { code: 0, output: args[0] === "--list-sas" ? `${runtime.sas}list-sas reply {}\n` : "" };
    },
    remove: async () => {},
  };
  return { runtime, calls };
}

const iptables: Iptables = { save: async () => "", restore: async () => {} };

/** The shared fixture's host, alone or with `peers`, IPsec on. */
function state(peers: IpsecPeer[]): HostState {
  return sampleState(1, {
    containers: [],
    services: [],
    ipsec: { localIp: "172.30.99.11", psk: "c2VjcmV0LXNlY3JldC1zZWNyZXQ=", previousPsk: null, peers },
  });
}

const peer: IpsecPeer = { hostId: "1h2", agentIp: "172.30.99.12", subnet: "10.42.2.0/24" };
const established = `list-sa event {peer-1h2 {uniqueid=1 version=2 state=ESTABLISHED local-host=172.30.99.11 remote-host=172.30.99.12 initiator=yes established=5 child-sas {peer-1h2-4 {name=peer-1h2 uniqueid=4 reqid=1 state=INSTALLED bytes-in=1 bytes-out=1}}}}\n`;

test("alone in the environment, passes after the first list no SAs; a peer, or SAs left, bring the listing back", async () => {
  const { runtime, calls } = fakeRuntime();
  const c = new IpsecController({ runtime, iptables, logger: createLogger("test") });
  // The first pass on a new container looks once, then idle passes make no swanctl call at all.
  await c.pass(state([]));
  expect(calls).toEqual(["--load-all", "--list-sas"]);
  calls.length = 0;
  for (let i = 0; i < 3; i++) expect((await c.pass(state([])))?.peers).toEqual([]);
  expect(calls).toEqual([]);
  // A peer joins: its tunnel is listed every pass.
  runtime.sas = established;
  const up = await c.pass(state([peer]));
  expect(calls).toEqual(["--load-all", "--list-sas"]);
  expect(up?.peers.map((p) => p.state)).toEqual(["up"]);
  // It leaves while its SA is still there: the next pass lists it once more and closes it.
  calls.length = 0;
  await c.pass(state([]));
  expect(calls).toEqual(["--load-all", "--list-sas", "--terminate"]);
  calls.length = 0;
  await c.pass(state([]));
  expect(calls).toEqual([]);
});
