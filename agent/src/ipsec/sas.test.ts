import { expect, test } from "bun:test";
import { parseSas } from "./sas.ts";
import { peerStatuses, reasonFromOutput } from "./status.ts";

// Real `swanctl --list-sas --raw` output of strongSwan 5.9.8 (one established tunnel, one connecting).
const raw = `list-sa event {peer-1h2 {uniqueid=1 version=2 state=ESTABLISHED local-host=172.30.99.11 local-port=4500 local-id=172.30.99.11 remote-host=172.30.99.12 remote-port=4500 remote-id=172.30.99.12 initiator=yes initiator-spi=ff0ec333f9ad1a39 responder-spi=878457bbeb9b30c8 nat-remote=yes nat-any=yes encr-alg=AES_GCM_16 encr-keysize=128 prf-alg=PRF_HMAC_SHA2_256 dh-group=ECP_256 established=13 rekey-time=13179 child-sas {peer-1h2-4 {name=peer-1h2 uniqueid=4 reqid=1 state=INSTALLED mode=TUNNEL protocol=ESP encap=yes spi-in=e15e3192 spi-out=6e77935d encr-alg=AES_GCM_16 encr-keysize=128 dh-group=ECP_256 bytes-in=1680 packets-in=20 bytes-out=168 packets-out=2 rekey-time=3261 life-time=3960 install-time=0 local-ts=[10.42.1.0/24] remote-ts=[10.42.2.0/24]}}}}
list-sa event {peer-1h7 {uniqueid=9 version=2 state=CONNECTING local-host=172.30.99.11 local-port=500 local-id=172.30.99.11 remote-host=172.30.99.13 remote-port=500 remote-id=%any initiator=yes initiator-spi=0102030405060708 responder-spi=0000000000000000 child-sas {}}}
list-sas reply {}
`;

test("parses IKE SAs and their children with exact byte counters", () => {
  const sas = parseSas(raw);
  expect(sas).toHaveLength(2);
  expect(sas[0]).toMatchObject({
    name: "peer-1h2",
    uniqueId: 1,
    state: "ESTABLISHED",
    initiator: true,
    established: 13,
  });
  expect(sas[0]!.children).toEqual([
    { name: "peer-1h2", uniqueId: 4, reqid: 1, state: "INSTALLED", bytesIn: 1680, bytesOut: 168 },
  ]);
  expect(sas[1]).toMatchObject({ name: "peer-1h7", state: "CONNECTING", children: [] });
});

test("garbage and empty output give no SAs and never throw", () => {
  expect(parseSas("")).toEqual([]);
  expect(parseSas("list-sa event {{{ }} = [ x")).toEqual([]);
  expect(parseSas("connecting to 'unix:///var/run/charon.vici' failed")).toEqual([]);
});

test("per-peer status: up with bytes, connecting, down with the last reason", () => {
  const peers = ["1h2", "1h7", "1h8"].map((hostId, i) => ({
    hostId,
    agentIp: `172.30.99.${12 + i}`,
    subnet: `10.42.${i + 2}.0/24`,
  }));
  const statuses = peerStatuses(peers, parseSas(raw), new Map([["1h8", "authentication failed: x"]]));
  expect(statuses[0]).toEqual({
    hostId: "1h2",
    agentIp: "172.30.99.12",
    state: "up",
    bytesIn: 1680,
    bytesOut: 168,
  });
  expect(statuses[1]).toMatchObject({ state: "connecting", reason: "IKE SA connecting" });
  expect(statuses[2]).toMatchObject({ state: "down", reason: "authentication failed: x", bytesIn: 0 });
});

test("swanctl's failures become reasons an operator can act on", () => {
  expect(
    reasonFromOutput(
      "[ENC] parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]\n[IKE] received AUTHENTICATION_FAILED notify error\ninitiate failed: establishing CHILD_SA 'peer-1h2' failed",
    ),
  ).toMatch(/^authentication failed/);
  expect(
    reasonFromOutput("[IKE] giving up after 4 retransmits\ninitiate failed: establishing CHILD_SA failed"),
  ).toMatch(/does not answer/);
  expect(reasonFromOutput("[IKE] received NO_PROPOSAL_CHOSEN notify error")).toMatch(/proposal/);
  expect(reasonFromOutput("initiate failed: something new")).toBe("initiate failed: something new");
  expect(reasonFromOutput("initiate completed successfully")).toBeNull();
});
