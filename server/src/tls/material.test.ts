import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caChecksumOf, loadTlsMaterial } from "./material.ts";
import { checkSan, serverSans } from "./sans.ts";

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), "corral-tls-unit-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the generated CA and server certificate", () => {
  test("the checksum is the SHA-256 of the CA file's bytes; the certificate is the CA's and names this machine", () => {
    const dir = temp();
    const m = loadTlsMaterial(dir);
    const pem = readFileSync(join(dir, "tls", "ca.crt"), "utf8");
    expect(m.caPem).toBe(pem);
    expect(m.caChecksum).toBe(new Bun.CryptoHasher("sha256").update(pem).digest("hex"));
    expect(m.caChecksum).toBe(caChecksumOf(pem));
    const leaf = new X509Certificate(m.cert);
    const ca = new X509Certificate(m.caPem);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    for (const name of serverSans())
      expect(leaf.subjectAltName).toContain(name.includes(":") ? "IP Address" : name);
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(leaf.checkHost("localhost")).toBe("localhost");
  });

  test("a damaged or half-missing CA stops the start instead of being replaced", () => {
    const dir = temp();
    loadTlsMaterial(dir);
    writeFileSync(join(dir, "tls", "ca.crt"), "garbage");
    expect(() => loadTlsMaterial(dir)).toThrow(
      `the server's CA in ${join(dir, "tls", "ca.crt")} cannot be used`,
    );
    unlinkSync(join(dir, "tls", "ca.crt"));
    expect(() => loadTlsMaterial(dir)).toThrow(`${join(dir, "tls", "ca.crt")} is missing`);
  });

  test("a damaged server certificate is made again under the same CA", () => {
    const dir = temp();
    const first = loadTlsMaterial(dir);
    writeFileSync(join(dir, "tls", "server.crt"), "garbage");
    const again = loadTlsMaterial(dir);
    expect(again.caChecksum).toBe(first.caChecksum);
    expect(new X509Certificate(again.cert).verify(new X509Certificate(again.caPem).publicKey)).toBe(true);
  });

  test("in memory without a data folder", () => {
    const m = loadTlsMaterial(null);
    expect(m.source).toBe("generated");
    expect(m.caChecksum).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("extra names", () => {
  test("names and addresses are taken, anything else refused naming it", () => {
    expect(checkSan("Corral.LAN")).toBe("corral.lan");
    expect(checkSan("[fd00::5]")).toBe("fd00::5");
    expect(checkSan("*.corral.lan")).toBe("*.corral.lan");
    expect(() => checkSan("a b")).toThrow('--tls-san "a b" is neither');
    expect(() => checkSan("x/y")).toThrow("neither a DNS name nor an IP address");
    expect(() => loadTlsMaterial(null, { extraSans: ["bad name"] })).toThrow("--tls-san");
    expect(serverSans(["corral.lan"])).toContain("corral.lan");
  });

  test("a CA file without a certificate is refused", () => {
    expect(() => loadTlsMaterial(null, { caFile: "/x" })).toThrow(
      "--tls-ca goes with --tls-cert and --tls-key",
    );
  });
});
