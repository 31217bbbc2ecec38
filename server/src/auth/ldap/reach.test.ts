import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { appErrorOf, testLdapProvider } from "../../../testing/ldap-configs.ts";
import { freePort, startSlapd, type TestSlapd } from "../../../testing/slapd.ts";
import { opensslPem } from "../../../testing/test-pems.ts";
import type { PasswordProvider } from "../identity.ts";

let slapd: TestSlapd;
const open: PasswordProvider[] = [];

beforeAll(async () => {
  slapd = await startSlapd();
});
afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
  await slapd?.stop();
});

function provider(extra: Record<string, unknown>, target = slapd): PasswordProvider {
  return testLdapProvider("openldap", target, extra, open);
}

const failure = appErrorOf;

describe("TLS", () => {
  test("ldaps:// with the CA in `certificate` logs in", async () => {
    const r = await provider({ tls: true, port: slapd.tlsPort, certificate: slapd.caPem }).login(
      "alice",
      "alice-pw",
    );
    expect(r.user.login).toBe("alice");
    const byName = provider({
      server: "localhost",
      tls: true,
      port: slapd.tlsPort,
      certificate: slapd.caPem,
    });
    expect((await byName.login("bob", "bob-pw")).user.login).toBe("bob");
  });

  test("StartTLS with the CA logs in, and search works over it", async () => {
    const p = provider({ startTls: true, certificate: slapd.caPem });
    expect((await p.login("alice", "alice-pw")).groups.length).toBe(1);
    expect((await p.search("bo", 5)).map((x) => x.login)).toEqual(["bob"]);
  });

  test("a certificate from an unknown CA is refused with Unavailable, for ldaps and StartTLS", async () => {
    const other = opensslPem("other-ca.test", { ec: true }).cert;
    for (const extra of [
      { tls: true, port: slapd.tlsPort, certificate: other },
      { tls: true, port: slapd.tlsPort },
      { startTls: true, certificate: other },
    ]) {
      const e = await failure(provider(extra).login("alice", "alice-pw"));
      expect(e.code).toBe("Unavailable");
      expect(e.message).toContain("127.0.0.1:");
    }
  });

  test("a certificate that does not name the server is refused, for ldaps and StartTLS", async () => {
    for (const extra of [
      { server: "127.0.0.2", tls: true, port: slapd.tlsPort, certificate: slapd.caPem },
      { server: "127.0.0.2", startTls: true, certificate: slapd.caPem },
    ]) {
      const e = await failure(provider(extra).login("alice", "alice-pw"));
      expect(e.code).toBe("Unavailable");
      expect(e.message).toContain("127.0.0.2:");
      expect(e.message).toContain("TLS:");
    }
    // Plain LDAP on that address works: it is the name check that refused.
    expect((await provider({ server: "127.0.0.2" }).login("alice", "alice-pw")).user.login).toBe("alice");
  });

  test("ldaps to a plain port, or StartTLS to the ldaps port, fails with Unavailable", async () => {
    for (const extra of [
      { tls: true, port: slapd.port, certificate: slapd.caPem, connectionTimeout: 2000 },
      { startTls: true, port: slapd.tlsPort, certificate: slapd.caPem, connectionTimeout: 2000 },
    ]) {
      const e = await failure(provider(extra).login("alice", "alice-pw"));
      expect(e.code).toBe("Unavailable");
    }
  });
});

describe("misconfiguration", () => {
  test("a search base that does not exist is Unavailable saying so (not a wrong password)", async () => {
    const e = await failure(provider({ domain: "ou=nowhere,dc=corral,dc=test" }).login("alice", "alice-pw"));
    expect(e.code).toBe("Unavailable");
    expect(e.message).toContain("no such object");
  });

  test("a certificate problem says TLS and points at the certificate field", async () => {
    const e = await failure(provider({ tls: true, port: slapd.tlsPort }).login("alice", "alice-pw"));
    expect(e.message).toContain("(ldaps): TLS:");
    expect(e.message).toContain("check certificate");
  });
});

describe("server unreachable", () => {
  test("nothing listening: Unavailable naming server, port and cause, at once", async () => {
    const port = await freePort();
    const started = Date.now();
    const e = await failure(provider({ port }).login("alice", "alice-pw"));
    expect(e.code).toBe("Unavailable");
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(e.message).toMatch(/ECONNREFUSED|refused/i);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("a server that accepts but never answers: Unavailable after connectionTimeout", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      for (const extra of [{}, { startTls: true, certificate: slapd.caPem }]) {
        const started = Date.now();
        const e = await failure(
          provider({ port, connectionTimeout: 300, ...extra }).login("alice", "alice-pw"),
        );
        expect(e.code).toBe("Unavailable");
        expect(e.message).toContain(`127.0.0.1:${port}`);
        // Generous bound: the point is "about connectionTimeout", not minutes.
        expect(Date.now() - started).toBeLessThan(10_000);
      }
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test("a restarted server: the provider's dropped connections are replaced, logins keep working", async () => {
    const p = provider({ connectionTimeout: 30_000 });
    const q = provider({ startTls: true, certificate: slapd.caPem, connectionTimeout: 30_000 });
    expect((await p.login("alice", "alice-pw")).groups.length).toBe(1);
    expect((await q.login("alice", "alice-pw")).groups.length).toBe(1);
    await slapd.restart();
    const started = Date.now();
    expect((await p.login("alice", "alice-pw")).groups.length).toBe(1);
    expect((await q.login("bob", "bob-pw")).groups.length).toBe(1);
    expect((await p.search("bo", 5)).map((x) => x.login)).toEqual(["bob"]);
    // Dead connections are noticed, not waited out until connectionTimeout (30 s here).
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test("a server that hangs after a login: Unavailable after one connectionTimeout, not two", async () => {
    const p = provider({ connectionTimeout: 2000 });
    expect((await p.login("alice", "alice-pw")).user.login).toBe("alice");
    slapd.pause();
    try {
      const started = Date.now();
      const e = await failure(p.login("alice", "alice-pw"));
      const took = Date.now() - started;
      expect(e.code).toBe("Unavailable");
      expect(e.message).toContain(`127.0.0.1:${slapd.port}`);
      expect(e.message).toContain("timed out");
      // One timeout (2 s) and no retry on top of it; the margin is for a busy machine.
      expect(took).toBeGreaterThanOrEqual(1900);
      expect(took).toBeLessThan(3800);
    } finally {
      slapd.resume();
    }
    expect((await p.login("alice", "alice-pw")).user.login).toBe("alice");
  });

  test("the server going away after a login: the next login is Unavailable", async () => {
    const second = await startSlapd();
    const p = provider({}, second);
    try {
      expect((await p.login("alice", "alice-pw")).user.login).toBe("alice");
    } finally {
      await second.stop();
    }
    const e = await failure(p.login("alice", "alice-pw"));
    expect(e.code).toBe("Unavailable");
    expect(e.message).toContain(`127.0.0.1:${second.port}`);
  });
});
