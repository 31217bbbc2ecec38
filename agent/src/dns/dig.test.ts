import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@corral/lib";
import { sampleState } from "../../testing/dns-state.ts";
import { HostStateBus } from "../host-state-bus.ts";
import { type DnsServer, startDnsServer } from "./server.ts";

/**
 * Checks the server against a real resolver client, Debian's dig (package dnsutils). Installs it
 * when missing and apt-get can (idempotent: apt does nothing when it is present); otherwise skips
 * with a message rather than failing on a host without it.
 */
async function ensureDig(): Promise<boolean> {
  if (Bun.which("dig")) return true;
  if (!Bun.which("apt-get") || process.getuid?.() !== 0) return false;
  const p = Bun.spawn(["apt-get", "install", "-y", "-qq", "dnsutils"], {
    stdout: "ignore",
    stderr: "ignore",
  });
  await p.exited;
  return Bun.which("dig") !== null;
}

const haveDig = await ensureDig();
if (!haveDig)
  console.warn("dig.test.ts: dig (dnsutils) unavailable and not installable; skipping dig checks");

let dns: DnsServer;

beforeAll(async () => {
  const bus = new HostStateBus();
  bus.publish(sampleState(1, { upstreamDns: ["127.0.0.1:9"] }));
  dns = await startDnsServer({ bus, logger: createLogger("dns-dig"), address: "127.0.0.1", port: 0 });
});

afterAll(() => dns.stop());

async function dig(...args: string[]): Promise<string> {
  const p = Bun.spawn(["dig", "@127.0.0.1", "-p", String(dns.port), "+tries=1", "+time=2", ...args], {
    stdout: "pipe",
  });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return out;
}

describe.skipIf(!haveDig)("dig", () => {
  test("dig +short over UDP and TCP", async () => {
    for (const transport of ["+notcp", "+tcp"]) {
      const out = await dig("+short", transport, "db.mystack.rancher.internal");
      expect(out.trim().split("\n").sort()).toEqual(["10.42.1.10", "10.42.1.12"]);
    }
  });

  test("dig sees NXDOMAIN with the SOA, and the AA flag", async () => {
    const out = await dig("nope.mystack.rancher.internal");
    expect(out).toContain("status: NXDOMAIN");
    expect(out).toMatch(/flags: qr aa/);
    expect(out).toMatch(/rancher\.internal\.\s+1\s+IN\s+SOA/);
  });

  test("dig with EDNS and a CNAME", async () => {
    const out = await dig("+edns=0", "exthost.mystack.rancher.internal", "CNAME");
    expect(out).toMatch(/IN\s+CNAME\s+example\.test\./);
  });
});
