import { expect, test } from "bun:test";
import {
  connName,
  hostIdOfConn,
  isInitiator,
  peerReqids,
  renderStrongswanConf,
  renderSwanctlConf,
} from "./config.ts";
import { renderIpsecRules } from "./rules.ts";

const ipsec = {
  localIp: "192.168.0.2",
  psk: Buffer.alloc(48, 1).toString("base64"),
  previousPsk: null,
  peers: [
    { hostId: "1h9", agentIp: "192.168.0.4", subnet: "10.42.2.0/24" },
    { hostId: "1h3", agentIp: "192.168.0.3", subnet: "10.42.1.0/24" },
  ],
};
const options = { plane: "userspace" as const, localSubnet: "10.42.0.0/24", localHostId: "1h5" };

test("one connection per peer, slice to slice, with the peer's address as its identity", () => {
  const conf = renderSwanctlConf(ipsec, options);
  expect(conf.match(/^ {2}peer-\S+ \{$/gm)).toEqual(["  peer-1h3 {", "  peer-1h9 {"]);
  expect(conf).toContain("remote_addrs = 192.168.0.4");
  expect(conf).toContain("local_ts = 10.42.0.0/24");
  expect(conf).toContain("remote_ts = 10.42.2.0/24");
  expect(conf).toContain("version = 2");
  expect(conf).toContain("esp_proposals = aes128gcm16");
  expect(conf).toContain("dpd_delay = 2s");
  expect(conf).toContain("keyingtries = 0");
  expect(conf).toContain("unique = replace");
});

test("the owning end starts and restarts a tunnel, the other only answers", () => {
  const conf = renderSwanctlConf(ipsec, options);
  const [toH3, toH9] = conf.split(/^ {2}peer-1h9 \{$/m) as [string, string];
  // 1h5 > 1h3: the peer owns that tunnel; 1h5 < 1h9: this host owns it.
  expect(toH3).toContain("start_action = none");
  expect(toH3).toContain("dpd_action = clear");
  expect(toH9).toContain("start_action = start");
  expect(toH9).toContain("close_action = start");
  expect(toH9).toContain("dpd_action = restart");
  expect(isInitiator("1h5", "1h9")).toBe(true);
  expect(isInitiator("1h9", "1h5")).toBe(false);
});

test("userspace forces ESP in UDP; the kernel plane does not", () => {
  expect(renderSwanctlConf(ipsec, options)).toContain("encap = yes");
  expect(renderSwanctlConf(ipsec, { ...options, plane: "kernel" })).toContain("encap = no");
  expect(renderStrongswanConf("userspace")).toMatch(/load = .*kernel-libipsec kernel-netlink/);
  expect(renderStrongswanConf("kernel")).not.toContain("kernel-libipsec kernel-netlink");
  expect(renderStrongswanConf("kernel")).toMatch(/load = .* kernel-netlink .*vici/);
});

test("the current key names both ends; the previous one only the peer (accepted, never sent)", () => {
  const previousPsk = Buffer.alloc(48, 2).toString("base64");
  const conf = renderSwanctlConf({ ...ipsec, previousPsk }, options);
  expect(conf).toContain(`secret = 0s${ipsec.psk}`);
  expect(conf).toContain(`secret = 0s${previousPsk}`);
  const previous = conf.slice(conf.indexOf("ike-peer-1h3-previous"));
  expect(previous.slice(0, previous.indexOf("}"))).not.toContain("id-local");
  expect(renderSwanctlConf(ipsec, options)).not.toContain("-previous");
});

test("a key that is not base64 is encoded, so no character can break the file", () => {
  const conf = renderSwanctlConf({ ...ipsec, psk: 'we"ird }\nkey' }, options);
  expect(conf).toContain(`secret = 0s${Buffer.from('we"ird }\nkey').toString("base64")}`);
});

test("no peers: an empty but valid file", () => {
  const conf = renderSwanctlConf({ ...ipsec, peers: [] }, options);
  expect(conf).toContain("connections {\n\n}");
});

test("each tunnel has its own fixed reqid, whatever other peers come and go", () => {
  const conf = renderSwanctlConf(ipsec, options);
  const reqids = [...conf.matchAll(/reqid = (\d+)/g)].map((m) => Number(m[1]));
  // peer-1h3 then peer-1h9: the host's row number above charon's own small numbers.
  expect(reqids).toEqual([0x100003, 0x100009]);
  const more = renderSwanctlConf(
    { ...ipsec, peers: [...ipsec.peers, { hostId: "1h4", agentIp: "192.168.0.5", subnet: "10.42.3.0/24" }] },
    options,
  );
  expect(more).toContain(`remote_ts = 10.42.2.0/24
        mode = tunnel
        reqid = ${0x100009}`);
  const fewer = renderSwanctlConf({ ...ipsec, peers: [ipsec.peers[0]!] }, options);
  expect(fewer).toContain(`reqid = ${0x100009}`);
});

test("ids that are not numbered hosts get distinct hashed reqids in their own range", () => {
  const ids = Array.from({ length: 2000 }, (_, i) => `peer-host-${i}`);
  const reqids = peerReqids([...ids, "1h7", "1h7"]);
  expect(reqids.size).toBe(2001);
  expect(new Set(reqids.values()).size).toBe(2001);
  expect(reqids.get("1h7")).toBe(0x100007);
  for (const id of ids) {
    const r = reqids.get(id)!;
    expect(r).toBeGreaterThanOrEqual(0x40000000);
    expect(r).toBeLessThan(0x80000000);
  }
  // Stable: the same id always gets the same number.
  expect(peerReqids(["peer-host-5"]).get("peer-host-5")).toBe(reqids.get("peer-host-5")!);
  // A host row number too large for the numbered range is hashed, never wrapped onto another.
  expect(peerReqids(["1h999999999999"]).get("1h999999999999")).toBeGreaterThanOrEqual(0x40000000);
});

test("connection names map back to host ids", () => {
  expect(hostIdOfConn(connName("1h42"))).toBe("1h42");
  expect(hostIdOfConn("other")).toBeNull();
});

test("drop rules: overlay traffic only through the TUN device (userspace) or a policy (kernel)", () => {
  const user = renderIpsecRules("userspace", "10.42.0.0/16", "10.42.3.0/24");
  expect(user.chains.get("CORRAL-IPSEC-OUT")).toEqual([
    "-A CORRAL-IPSEC-OUT -d 10.42.3.0/24 -j RETURN",
    "-A CORRAL-IPSEC-OUT -d 10.42.0.0/16 ! -o ipsec0 -j DROP",
  ]);
  expect(user.chains.get("CORRAL-IPSEC-IN")?.[1]).toBe(
    "-A CORRAL-IPSEC-IN -s 10.42.0.0/16 ! -i ipsec0 -j DROP",
  );
  expect(user.jumps).toContainEqual(["OUTPUT", "CORRAL-IPSEC-OUT"]);
  const kernel = renderIpsecRules("kernel", "10.42.0.0/16", "10.42.3.0/24");
  expect(kernel.chains.get("CORRAL-IPSEC-OUT")?.[1]).toContain("-m policy --dir out --pol none -j DROP");
});
