import { afterAll, describe, expect, test } from "bun:test";
import { caChecksum, serverCa, tlsFailure } from "./trust.ts";

const pem = "-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n";
// A plain-HTTP stand-in is enough for the checks made before any TLS: what is fetched and compared.
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(pem) });
afterAll(() => server.stop(true));

describe("which CA an agent trusts", () => {
  test("a malformed checksum is refused", async () => {
    await expect(serverCa("https://s:8443", "abc", { uuid: "12345678" })).rejects.toThrow(
      "64 hexadecimal digits",
    );
  });

  test("plain HTTP: none, but never once a CA is pinned, and never with a checksum", async () => {
    expect(await serverCa("http://s:8080", undefined, { uuid: "12345678" })).toBeUndefined();
    await expect(serverCa("http://s:8080", undefined, { uuid: "12345678", caCert: pem })).rejects.toThrow(
      "talks to it over HTTPS only",
    );
    await expect(serverCa("http://s:8080", caChecksum(pem), { uuid: "12345678" })).rejects.toThrow(
      "--ca-checksum needs an https URL",
    );
  });

  test("HTTPS: the pinned CA when its checksum matches or none is given; refused with neither", async () => {
    const state = { uuid: "12345678", caCert: pem };
    expect(await serverCa("https://s:8443", undefined, state)).toBe(pem);
    expect(await serverCa("https://s:8443", caChecksum(pem).toUpperCase(), state)).toBe(pem);
    await expect(serverCa("https://s:8443", undefined, { uuid: "12345678" })).rejects.toThrow(
      "needs the server CA's checksum",
    );
  });

  test("an unreachable /cacerts is Unavailable, not trusted", async () => {
    await expect(
      serverCa(`https://127.0.0.1:${server.port}`, caChecksum(pem), { uuid: "12345678" }),
    ).rejects.toThrow("cannot fetch the server's CA");
  });

  test("TLS failures are told apart from other errors", () => {
    expect(tlsFailure({ code: "SELF_SIGNED_CERT_IN_CHAIN", message: "x" }, "https://s")).toContain(
      "does not chain to the CA this agent pinned",
    );
    expect(tlsFailure(new Error("connection refused"), "https://s")).toBeNull();
  });
});
