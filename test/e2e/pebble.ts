/**
 * A real ACME CA for the tests: Debian's `pebble`, with `pebble-challtestsrv` as its DNS server
 * (every name resolves to 127.0.0.1, so HTTP-01 validation reaches whatever listens on loopback at
 * `httpPort`: the load balancer's published plain-HTTP port). Both run on free loopback ports; the
 * API's TLS certificate is made here with openssl, and the root that signs issued certificates is
 * read from pebble's management endpoint.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort, waitFor } from "./harness.ts";

/** A running pebble. */
export interface Pebble {
  directoryUrl: string;
  /** The CA of pebble's own API certificate (the server must trust it to talk ACME). */
  apiCaFile: string;
  apiCaPem: string;
  /** The root that signs the certificates pebble issues (from its management endpoint). */
  root(): Promise<string>;
  /** Logs of pebble and challtestsrv, for a failed test's message. */
  logs(): string;
  stop(): Promise<void>;
}

function getText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: new Agent({ ca }) }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode}`)),
      );
    }).on("error", reject);
  });
}

/**
 * Starts challtestsrv and pebble; HTTP-01 validation connects to 127.0.0.1:`httpPort`. With
 * `certificateValidityPeriod` (seconds), issued certificates are that short (renewal tests).
 */
export async function startPebble(
  httpPort: number,
  options: { certificateValidityPeriod?: number } = {},
): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), "pebble-"));
  const certFile = join(dir, "api.pem");
  const keyFile = join(dir, "api.key");
  const made = Bun.spawnSync([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
  if (made.exitCode !== 0) throw new Error(`openssl: ${made.stderr}`);
  const dnsPort = freePort();
  const [apiPort, managementPort, tlsPort, challMgmtPort] = [freePort(), freePort(), freePort(), freePort()];
  writeFileSync(
    join(dir, "pebble.json"),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${apiPort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: certFile,
        privateKey: keyFile,
        httpPort,
        tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        ...options,
      },
    }),
  );
  const procs: Subprocess[] = [];
  const logOf = (name: string) => join(dir, `${name}.log`);
  procs.push(
    Bun.spawn(
      [
        "pebble-challtestsrv",
        "-dns01",
        `127.0.0.1:${dnsPort}`,
        "-management",
        `127.0.0.1:${challMgmtPort}`,
        "-http01",
        "",
        "-https01",
        "",
        "-tlsalpn01",
        "",
        "-defaultIPv4",
        "127.0.0.1",
        "-defaultIPv6",
        "",
      ],
      { stdout: Bun.file(logOf("challtestsrv")), stderr: "ignore" },
    ),
  );
  procs.push(
    Bun.spawn(["pebble", "-config", join(dir, "pebble.json"), "-dnsserver", `127.0.0.1:${dnsPort}`], {
      stdout: Bun.file(logOf("pebble")),
      stderr: "ignore",
      env: {
        ...process.env,
        // Validation really connects (no always-valid), at once (no random sleep), and every nonce
        // is accepted (pebble otherwise refuses 5% to exercise client retries).
        PEBBLE_VA_ALWAYS_VALID: "0",
        PEBBLE_VA_NOSLEEP: "1",
        PEBBLE_WFE_NONCEREJECT: "0",
      },
    }),
  );
  const apiCaPem = readFileSync(certFile, "utf8");
  const directoryUrl = `https://127.0.0.1:${apiPort}/dir`;
  const pebble: Pebble = {
    directoryUrl,
    apiCaFile: certFile,
    apiCaPem,
    root: () => getText(`https://127.0.0.1:${managementPort}/roots/0`, apiCaPem),
    logs: () =>
      ["challtestsrv", "pebble"]
        .map((n) => {
          try {
            return `--- ${n}\n${readFileSync(logOf(n), "utf8").slice(-4000)}`;
          } catch {
            return "";
          }
        })
        .join("\n"),
    async stop() {
      for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
      await Promise.all(procs.map((p) => p.exited));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor("pebble's directory", () => getText(directoryUrl, apiCaPem).catch(() => null), 30_000);
  } catch (e) {
    const logs = pebble.logs();
    await pebble.stop();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
  return pebble;
}
