import { describe, expect, test } from "bun:test";
import { AppError } from "@corral/lib";
import { bootstrap } from "../bootstrap.ts";
import { openDatabase } from "../store/db.ts";
import { Store } from "../store/store.ts";
import { Authenticator } from "./authenticate.ts";

const basic = (a: string, s: string) => `Basic ${Buffer.from(`${a}:${s}`).toString("base64")}`;

function setup() {
  const store = new Store(openDatabase(":memory:"));
  const admin = bootstrap(store, null, {});
  const auth = new Authenticator(store, { perSecond: 0.001, burst: 3 });
  const right = basic(admin.accessKey, admin.secretKey!);
  const wrong = basic(admin.accessKey, "wrong");
  return { store, admin, auth, right, wrong };
}

/** The HTTP status of what authenticate does: 200 (a principal), 401 (null) or the error's. */
function status(auth: Authenticator, header: string | null, ip: string): number {
  try {
    return auth.authenticate(header, () => ip) ? 200 : 401;
  } catch (e) {
    if (e instanceof AppError) return e.status;
    throw e;
  }
}

describe("Authenticator", () => {
  test("headers that are not a key pair are refused without counting as guesses", () => {
    const { auth, right } = setup();
    for (let i = 0; i < 10; i++)
      for (const h of [null, "", "Bearer x", "Basic !!!", `Basic ${btoa("nocolon")}`, `Basic ${btoa(":s")}`])
        expect(status(auth, h, "10.0.0.1")).toBe(401);
    expect(status(auth, right, "10.0.0.1")).toBe(200);
  });

  test("made-up access keys count against the address only", () => {
    const { auth, right } = setup();
    for (let i = 0; i < 3; i++) expect(status(auth, basic(`NOKEY${i}`, "x"), "10.0.0.2")).toBe(401);
    expect(status(auth, basic("NOKEY9", "x"), "10.0.0.2")).toBe(429);
    expect(status(auth, right, "10.0.0.3")).toBe(200);
  });

  test("a key's failures do not lock out an address that used it before, but do lock out others", () => {
    const { auth, right, wrong } = setup();
    expect(status(auth, right, "10.0.1.1")).toBe(200);
    for (let i = 0; i < 3; i++) expect(status(auth, wrong, `10.0.2.${i}`)).toBe(401);
    expect(status(auth, wrong, "10.0.2.9")).toBe(429);
    expect(status(auth, right, "10.0.1.1")).toBe(200);
    // A cached right guess from elsewhere is refused like a wrong one.
    expect(status(auth, right, "10.0.3.1")).toBe(429);
  });

  test("a cached verdict looks the client address up only while some address or key waits", () => {
    const { auth, right, wrong } = setup();
    let lookups = 0;
    const ip = () => {
      lookups++;
      return "10.0.6.1";
    };
    expect(auth.authenticate(right, ip)).not.toBeNull();
    expect(lookups).toBe(1);
    for (let i = 0; i < 5; i++) auth.authenticate(right, ip);
    expect(lookups).toBe(1);
    for (let i = 0; i < 3; i++) status(auth, wrong, "10.0.6.2");
    auth.authenticate(right, ip);
    expect(lookups).toBe(2);
  });

  test("an old unsalted digest is replaced on its first successful use", () => {
    const { store, admin, auth, right } = setup();
    const key = store.getByLookup("apiKey", admin.accessKey)!;
    const legacy = new Bun.CryptoHasher("sha256").update(admin.secretKey!).digest("hex");
    store.update(key.id, { secret: legacy });
    expect(status(auth, right, "10.0.4.1")).toBe(200);
    expect(store.secretOf(key.id)).toStartWith("hmac-sha256$");
    expect(status(new Authenticator(store), right, "10.0.4.1")).toBe(200);
  });

  test("guard refuses a waiting address and counts only the failure codes it is given", () => {
    const { auth } = setup();
    const fail = (code: "Unauthorized" | "NotFound" | "InvalidFormat") => () => {
      throw new AppError(code, "no");
    };
    for (let i = 0; i < 5; i++) expect(() => auth.guard("10.0.5.1", fail("InvalidFormat"))).toThrow("no");
    expect(auth.guard("10.0.5.1", () => 7)).toBe(7);
    for (let i = 0; i < 3; i++)
      expect(() => auth.guard("10.0.5.1", fail("NotFound"), ["NotFound"])).toThrow("no");
    expect(() => auth.guard("10.0.5.1", () => 7)).toThrow(/too many failed attempts/);
    expect(auth.guard("10.0.5.2", () => 8)).toBe(8);
  });
});
