/**
 * Starts a real OpenLDAP `slapd` (Debian's package) for tests: its own slapd.conf, database and test
 * CA in a temp folder, seeded with slapadd, listening on free loopback ports for ldap:// (StartTLS
 * too) and ldaps://. No Docker and no host lock needed; `stop()` kills it and removes the folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, execaSync } from "execa";
import { adTestSchema, seedLdif, seedSuffix } from "./slapd-seed.ts";

/** A running test slapd. */
export interface TestSlapd {
  /** Port of ldap:// (plain, and StartTLS). */
  port: number;
  /** Port of ldaps://. Both ports also listen on 127.0.0.2, which the certificate does not name. */
  tlsPort: number;
  /** The PEM of the CA that signed the server certificate (for `certificate` in configs). */
  caPem: string;
  /** The suffix, `dc=corral,dc=test`. */
  suffix: string;
  /** Kills slapd (as a crash would) and starts it again on the same ports and data; clients are cut off. */
  restart(): Promise<void>;
  /** Freezes slapd (SIGSTOP): connections stay open but nothing is answered, as with a hung server. */
  pause(): void;
  /** Lets a paused slapd run again (SIGCONT). */
  resume(): void;
  /** Kills slapd and removes its folder. */
  stop(): Promise<void>;
}

/** A port no one listens on right now (the OS picks it; slapd binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A test CA and a server certificate for 127.0.0.1 and localhost signed by it (EC keys: fast). */
function makeCertificates(dir: string): void {
  const run = (args: string[]) => execaSync("openssl", args, { cwd: dir });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=Corral test LDAP CA",
  ]);
  run(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  ]);
}

function slapdConf(dir: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include ${dir}/ad-test.schema
pidfile ${dir}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile ${dir}/ca.pem
TLSCertificateFile ${dir}/server.pem
TLSCertificateKeyFile ${dir}/server.key
database mdb
maxsize 33554432
suffix "${seedSuffix}"
rootdn "cn=admin,${seedSuffix}"
rootpw admin-pw
directory ${dir}/db
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by users read
  by * none
`;
}

type Slapd = ReturnType<typeof execa>;

async function halt(child: Slapd, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  child.kill(signal);
  // slapd can linger on SIGTERM while TLS clients stay connected; a test must not wait for that.
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await child;
  clearTimeout(timer);
}

/**
 * Runs slapd on the folder's config and waits (generously) until both ports accept connections.
 * The child is returned wrapped: awaiting a bare execa child would wait for slapd to exit.
 */
async function launch(dir: string, port: number, tlsPort: number): Promise<{ child: Slapd }> {
  // -d 0 keeps slapd in the foreground (it never forks), so this process owns it and kills it.
  const child = execa(
    "slapd",
    [
      "-f",
      join(dir, "slapd.conf"),
      "-h",
      // 127.0.0.2 is not in the certificate: tests check that a name mismatch is refused.
      `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/ ldap://127.0.0.2:${port}/ ldaps://127.0.0.2:${tlsPort}/`,
      "-d",
      "0",
    ],
    { reject: false, all: true, buffer: true },
  );
  let exited = false;
  void child.then(() => {
    exited = true;
  });
  const deadline = Date.now() + 30_000;
  while (!((await canConnect(port)) && (await canConnect(tlsPort)))) {
    if (exited || Date.now() > deadline) {
      child.kill("SIGKILL");
      const out = await child;
      throw new Error(`slapd did not start on ${port}/${tlsPort}: ${String(out.all ?? "").slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child };
}

/**
 * Starts slapd with the seed directory (see slapd-seed.ts). Waits (generously) until both ports
 * accept connections; throws with slapd's own output when it does not come up.
 */
export async function startSlapd(): Promise<TestSlapd> {
  if (!existsSync("/usr/sbin/slapd") || !existsSync("/etc/ldap/schema/inetorgperson.schema"))
    throw new Error(
      "slapd is not installed (Debian packages slapd and ldap-utils): run scripts/host-setup.sh",
    );
  const dir = mkdtempSync(join(tmpdir(), "corral-slapd-"));
  mkdirSync(join(dir, "db"));
  makeCertificates(dir);
  writeFileSync(join(dir, "ad-test.schema"), adTestSchema);
  writeFileSync(join(dir, "slapd.conf"), slapdConf(dir));
  writeFileSync(join(dir, "seed.ldif"), seedLdif);
  execaSync("slapadd", ["-f", join(dir, "slapd.conf"), "-l", join(dir, "seed.ldif")]);
  const port = await freePort();
  const tlsPort = await freePort();
  let { child } = await launch(dir, port, tlsPort).catch((e) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const caPem = readFileSync(join(dir, "ca.pem"), "utf8");
  return {
    port,
    tlsPort,
    caPem,
    suffix: seedSuffix,
    async restart() {
      child.kill("SIGCONT");
      await halt(child, "SIGKILL");
      ({ child } = await launch(dir, port, tlsPort));
    },
    pause() {
      child.kill("SIGSTOP");
    },
    resume() {
      child.kill("SIGCONT");
    },
    async stop() {
      child.kill("SIGCONT");
      await halt(child, "SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
