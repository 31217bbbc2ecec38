import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defaultServerHosts,
  dockerTlsDir,
  ensureDockerTls,
  genClientCert,
  genServerCert,
  hasServerCert,
  sanList,
  signLeaf,
  tlsEnabled,
} from "./docker-tls.ts";

/** openssl's verdict on `cert` against `ca` for `purpose` (sslserver or sslclient). */
function verify(dir: string, ca: string, cert: string, purpose: string): string {
  writeFileSync(join(dir, "v-ca.pem"), ca);
  writeFileSync(join(dir, "v-leaf.pem"), cert);
  return execFileSync("openssl", ["verify", "-purpose", purpose, "-CAfile", "v-ca.pem", "v-leaf.pem"], {
    cwd: dir,
    stdio: "pipe",
  }).toString();
}

describe("docker tls", () => {
  test("server and client certificates from one CA, each for its purpose only", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-dtls-"));
    const files = genServerCert(dir, defaultServerHosts("box1", ["docker.example.test"]));
    expect(files.map((f) => f.slice(dir.length))).toEqual(["/ca.pem", "/server-cert.pem", "/server-key.pem"]);
    expect(statSync(join(dir, "server-key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "ca-key.pem")).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const ca = readFileSync(join(dir, "ca.pem"), "utf8");
    const server = readFileSync(join(dir, "server-cert.pem"), "utf8");
    const x = new X509Certificate(server);
    expect(x.subjectAltName).toBe("DNS:docker.example.test, DNS:box1, DNS:localhost, IP Address:127.0.0.1");
    expect(x.checkIssued(new X509Certificate(ca))).toBe(true);
    expect(verify(dir, ca, server, "sslserver")).toContain("OK");
    const client = genClientCert(dir);
    expect(client.ca).toBe(ca); // the CA is kept, not made again
    expect(verify(dir, ca, client.cert, "sslclient")).toContain("OK");
    expect(() => verify(dir, ca, client.cert, "sslserver")).toThrow();
    expect(() => verify(dir, ca, server, "sslclient")).toThrow();
    expect(client.key).toContain("PRIVATE KEY");
  });

  test("host names are checked before openssl sees them", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-dtls-"));
    const ca = { cert: "", key: "" };
    expect(() => signLeaf(ca, "server", [])).toThrow("at least one host name");
    expect(() => signLeaf(ca, "server", ["ok", "bad\nCN = x"])).toThrow("is not a host name");
    expect(sanList(["a.b", "10.0.0.1", "::1"])).toBe("DNS:a.b, IP:10.0.0.1, IP:::1");
    expect(hasServerCert(dir)).toBe(false);
  });

  test("with corral.docker.tls on, the boot makes a server certificate once", () => {
    const root = mkdtempSync(join(tmpdir(), "corral-dtls-root-"));
    expect(tlsEnabled({ corral: { docker: { tls: "true" } } })).toBe(true);
    expect(tlsEnabled({ corral: { docker: { tls: false } } })).toBe(false);
    expect(ensureDockerTls(root, {})).toEqual([]);
    expect(existsSync(join(root, dockerTlsDir))).toBe(true);
    expect(hasServerCert(join(root, dockerTlsDir))).toBe(false);
    expect(ensureDockerTls(root, { hostname: "box2", corral: { docker: { tls: true } } })).toEqual([]);
    const cert = readFileSync(join(root, dockerTlsDir, "server-cert.pem"), "utf8");
    expect(new X509Certificate(cert).subjectAltName).toContain("DNS:box2");
    ensureDockerTls(root, { hostname: "box3", corral: { docker: { tls: true } } });
    expect(readFileSync(join(root, dockerTlsDir, "server-cert.pem"), "utf8")).toBe(cert);
  });
});
