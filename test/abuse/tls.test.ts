// Finding 11 of issue 12: the API and the agent channel were plain HTTP, so Basic credentials,
// tokens and agent keys crossed the network in clear. Now the server serves HTTPS (a CA made at
// first start, or the operator's certificate) and plain HTTP answers the API on loopback only
// (others get a redirect and nothing else). Every probe runs against a real server on this
// machine's own addresses; the agent's side (pinning) is in tls-pinning.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { caChecksum } from "@corral/agent";
import type { RunningServer } from "@corral/server";
import { makeCertificateAuthority, signServerCertificate } from "../../server/src/tls/openssl.ts";
import { auth, defaultToken, json, outside, portOf, removeTempDirs, serve, tempDir } from "./tls-kit.ts";

let server: RunningServer;
let dataDir: string;
let token: string;
let command: string;

beforeAll(async () => {
  dataDir = tempDir("data");
  server = serve(dataDir);
  ({ token, command } = await defaultToken(server));
});

afterAll(async () => {
  await server?.stop();
  removeTempDirs();
});

describe("the generated CA", () => {
  test("is made in the data folder, private, and /cacerts serves it byte for byte", async () => {
    for (const f of ["ca.crt", "ca.key", "server.crt", "server.key"])
      expect(statSync(join(dataDir, "tls", f)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, "tls")).mode & 0o777).toBe(0o700);
    const pem = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
    const served = await (await fetch(`${server.url}/cacerts`)).text();
    expect(served).toBe(pem);
    expect(caChecksum(served)).toBe(server.tls!.caChecksum);
  });

  test("the HTTPS listener's certificate chains to it and names this machine's address", async () => {
    const httpsPort = portOf(server.httpsUrl!);
    const ok = await fetch(`https://${outside}:${httpsPort}/v2-beta/projects`, {
      headers: { Authorization: auth },
      tls: { ca: server.tls!.caPem },
    });
    expect(ok.status).toBe(200);
    // Another CA is refused by the client: the server's certificate is not signed by it.
    const other = makeCertificateAuthority();
    await expect(
      fetch(`https://${outside}:${httpsPort}/ping`, { tls: { ca: other.cert } }),
    ).rejects.toThrow();
  });

  test("the registration command carries the https URL and the CA's checksum", () => {
    const httpsPort = portOf(server.httpsUrl!);
    expect(command).toContain(`https://127.0.0.1:${httpsPort}/cacerts`);
    expect(command).toContain(`'${server.tls!.caChecksum}  corral-ca.pem' | sha256sum -c`);
    expect(command).toContain(
      `--cacert corral-ca.pem https://127.0.0.1:${httpsPort}/v2-beta/scripts/${token}`,
    );
    expect(command).not.toContain("http://");
  });

  test("the command's own steps verify the CA with curl and sha256sum, and stop on a wrong checksum", async () => {
    const cwd = tempDir("command");
    // The join script is written to a file instead of run: it would start an agent on this machine.
    const fetchOnly = command.replace(/\| sh$/, "> script.sh");
    expect(fetchOnly).not.toBe(command);
    // Not spawnSync: the server answering curl runs in this process.
    const shell = async (line: string) => {
      const p = Bun.spawn(["sh", "-c", line], { cwd, stdout: "pipe", stderr: "pipe" });
      return { code: await p.exited, err: await new Response(p.stderr).text() };
    };
    const ok = await shell(fetchOnly);
    expect(ok).toEqual({ code: 0, err: expect.any(String) });
    const script = readFileSync(join(cwd, "script.sh"), "utf8");
    expect(script).toStartWith("#!/bin/sh");
    expect(Bun.spawnSync(["sh", "-n", join(cwd, "script.sh")]).exitCode).toBe(0);
    const tampered = fetchOnly.replace(server.tls!.caChecksum, caChecksum("another CA"));
    const bad = await shell(tampered.replace("> script.sh", "> other.sh"));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain("did NOT match");
    expect(() => statSync(join(cwd, "other.sh"))).toThrow();
  });

  test("the join script (over verified HTTPS) hands the agent the checksum", async () => {
    const httpsPort = portOf(server.httpsUrl!);
    const res = await fetch(`https://${outside}:${httpsPort}/v2-beta/scripts/${token}`, {
      tls: { ca: server.tls!.caPem },
    });
    const script = await res.text();
    expect(res.status).toBe(200);
    expect(script).toContain(`URL='https://${outside}:${httpsPort}'`);
    expect(script).toContain(`CA_CHECKSUM='${server.tls!.caChecksum}'`);
    expect(script).toContain('--ca-checksum "$CA_CHECKSUM"');
    expect(script).toContain(server.tls!.caPem.trim());
  });

  test("a restart keeps the CA; new names make a new server certificate under the same CA", async () => {
    const before = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
    const cert = readFileSync(join(dataDir, "tls", "server.crt"), "utf8");
    const again = serve(dataDir, { https: { port: 0, source: {} } });
    await again.stop();
    expect(readFileSync(join(dataDir, "tls", "server.crt"), "utf8")).toBe(cert);
    const renamed = serve(dataDir, { https: { port: 0, source: { extraSans: ["corral.example.test"] } } });
    try {
      expect(readFileSync(join(dataDir, "tls", "ca.crt"), "utf8")).toBe(before);
      expect(readFileSync(join(dataDir, "tls", "server.crt"), "utf8")).not.toBe(cert);
      const res = await fetch(`${renamed.httpsUrl}/ping`, {
        tls: { ca: before, serverName: "corral.example.test" },
      });
      expect(await res.text()).toBe("pong");
    } finally {
      await renamed.stop();
    }
  });
});

describe("plain HTTP", () => {
  test("on a non-loopback address answers only a redirect: no API, no credentials looked at", async () => {
    const httpPort = portOf(server.url);
    const httpsPort = portOf(server.httpsUrl!);
    for (const [method, path, body] of [
      ["GET", "/v2-beta/projects?limit=1", undefined],
      ["GET", "/", undefined],
      ["POST", "/v2-beta/register", JSON.stringify({ token, uuid: crypto.randomUUID(), hostname: "sneaky" })],
      ["GET", "/cacerts", undefined],
    ] as const) {
      const res = await fetch(`http://${outside}:${httpPort}${path}`, {
        method,
        headers: { Authorization: auth, ...(body && { "Content-Type": "application/json" }) },
        body,
        redirect: "manual",
      });
      expect(res.status).toBe(307);
      expect(res.headers.get("location")).toBe(`https://${outside}:${httpsPort}${path}`);
      const text = await res.text();
      expect(text).not.toContain("{");
      expect(text).toContain("loopback only");
    }
    const hosts = await json(fetch(`${server.url}/v2-beta/hosts`, { headers: { Authorization: auth } }));
    expect(hosts.data.some((h: { hostname: string }) => h.hostname === "sneaky")).toBe(false);
  });

  test("a websocket upgrade on a non-loopback address gets the redirect, not a session", async () => {
    const httpPort = portOf(server.url);
    const ws = new WebSocket(`ws://${outside}:${httpPort}/v2-beta/agent/connect`, {
      headers: { Authorization: auth },
    } as never);
    const error = await new Promise<string>((resolve) => {
      ws.onerror = (e) => resolve((e as ErrorEvent).message ?? "error");
      ws.onopen = () => resolve("opened");
    });
    expect(error).toContain("307");
  });

  test("on loopback serves the API", async () => {
    const res = await fetch(`${server.url}/v2-beta/projects`, { headers: { Authorization: auth } });
    expect(res.status).toBe(200);
  });

  test("with insecureHttp, every address gets the API", async () => {
    const open = serve(null, { insecureHttp: true });
    try {
      const res = await fetch(`http://${outside}:${portOf(open.url)}/v2-beta/projects`, {
        headers: { Authorization: auth },
        redirect: "manual",
      });
      expect(res.status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});

describe("the operator's certificate", () => {
  test("is served, and /cacerts gives the CA they named", async () => {
    const dir = tempDir("user");
    const ca = makeCertificateAuthority();
    const leaf = signServerCertificate(ca, ["127.0.0.1", outside]);
    writeFileSync(join(dir, "server.crt"), leaf.cert);
    writeFileSync(join(dir, "server.key"), leaf.key);
    writeFileSync(join(dir, "ca.crt"), ca.cert);
    const own = serve(tempDir("user-data"), {
      https: {
        port: 0,
        source: {
          certFile: join(dir, "server.crt"),
          keyFile: join(dir, "server.key"),
          caFile: join(dir, "ca.crt"),
        },
      },
    });
    try {
      expect(own.tls!.source).toBe("user");
      expect(await (await fetch(`${own.url}/cacerts`)).text()).toBe(ca.cert);
      const res = await fetch(`https://${outside}:${portOf(own.httpsUrl!)}/ping`, { tls: { ca: ca.cert } });
      expect(await res.text()).toBe("pong");
      // No CA was generated for it.
      expect(() => statSync(join(dir, "..", "tls"))).toThrow();
    } finally {
      await own.stop();
    }
  });

  test("garbage in the files stops the start with a message naming the file", () => {
    const dir = tempDir("garbage");
    const ca = makeCertificateAuthority();
    const leaf = signServerCertificate(ca, ["127.0.0.1"]);
    const other = signServerCertificate(ca, ["127.0.0.1"]);
    const files: Record<string, string> = {
      "good.crt": leaf.cert,
      "good.key": leaf.key,
      "ca.crt": ca.cert,
      "junk.crt": "hello, I am not a certificate\n",
      "broken.crt": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      "junk.key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
      "other.key": other.key,
    };
    for (const [n, t] of Object.entries(files)) writeFileSync(join(dir, n), t);
    const p = (n: string) => join(dir, n);
    const cases: [Record<string, string | undefined>, string][] = [
      [
        { certFile: p("junk.crt"), keyFile: p("good.key") },
        `--tls-cert ${p("junk.crt")}: no PEM certificate`,
      ],
      [
        { certFile: p("broken.crt"), keyFile: p("good.key") },
        `--tls-cert ${p("broken.crt")}: certificate 1 is not valid`,
      ],
      [{ certFile: p("good.crt"), keyFile: p("junk.key") }, `--tls-key ${p("junk.key")}: not a readable`],
      [
        { certFile: p("good.crt"), keyFile: p("missing.key") },
        `--tls-key ${p("missing.key")}: cannot read it (ENOENT)`,
      ],
      [{ certFile: p("good.crt"), keyFile: p("other.key") }, `--tls-key ${p("other.key")}: does not match`],
      [
        { certFile: p("good.crt"), keyFile: p("good.key") },
        `--tls-cert ${p("good.crt")}: the certificate does not chain`,
      ],
      [
        { certFile: p("good.crt"), keyFile: p("good.key"), caFile: p("junk.crt") },
        `--tls-ca ${p("junk.crt")}: no PEM`,
      ],
      [{ certFile: p("good.crt") }, "--tls-key is missing"],
    ];
    for (const [source, message] of cases) {
      const data = tempDir("garbage-data");
      expect(() => serve(data, { https: { port: 0, source } })).toThrow(message);
      // Nothing was started or created: the store was never opened.
      expect(() => statSync(join(data, "corral.db"))).toThrow();
    }
  });
});
