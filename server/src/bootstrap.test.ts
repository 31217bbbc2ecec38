import { describe, expect, test } from "bun:test";
import type { Logger } from "@corral/lib";
import { checkSecret } from "./auth/keys.ts";
import { bootstrap } from "./bootstrap.ts";
import { insertApiKey } from "./services/api-keys.ts";
import { openDatabase } from "./store/db.ts";
import { Store } from "./store/store.ts";

/** A logger that keeps its lines. */
function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (level: string) => (m: string, f?: Record<string, unknown>) => {
    lines.push(`${level} ${m} ${JSON.stringify(f ?? {})}`);
  };
  const log = {
    lines,
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
  };
  return { ...log, child: () => log as unknown as Logger };
}

const env = (secret: string, access = "CONFIGUREDADMIN") => ({
  CORRAL_ADMIN_ACCESS_KEY: access,
  CORRAL_ADMIN_SECRET_KEY: secret,
});

function secretWorks(store: Store, access: string, secret: string): boolean {
  const key = store.getByLookup("apiKey", access);
  if (key?.state !== "active") return false;
  return checkSecret(secret, store.secretOf(key.id)!).ok;
}

describe("bootstrap with a configured admin key", () => {
  test("the same secret again changes nothing and logs no rotation", () => {
    const store = new Store(openDatabase(":memory:"));
    bootstrap(store, null, env("first-secret-0123456789"), recorder());
    const log = recorder();
    bootstrap(store, null, env("first-secret-0123456789"), log);
    expect(log.lines.filter((l) => l.includes("rotated"))).toEqual([]);
    expect(secretWorks(store, "CONFIGUREDADMIN", "first-secret-0123456789")).toBe(true);
  });

  test("a new secret replaces the old one and the log names the key, not either secret", () => {
    const store = new Store(openDatabase(":memory:"));
    bootstrap(store, null, env("first-secret-0123456789"), recorder());
    const log = recorder();
    bootstrap(store, null, env("second-secret-012345678"), log);
    expect(secretWorks(store, "CONFIGUREDADMIN", "second-secret-012345678")).toBe(true);
    expect(secretWorks(store, "CONFIGUREDADMIN", "first-secret-0123456789")).toBe(false);
    const rotated = log.lines.filter((l) => l.includes("rotated"));
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).toContain("CONFIGUREDADMIN");
    expect(log.lines.join("\n")).not.toMatch(/first-secret|second-secret/);
  });

  test("an old unsalted digest of the same secret is replaced quietly", () => {
    const store = new Store(openDatabase(":memory:"));
    bootstrap(store, null, env("first-secret-0123456789"), recorder());
    const key = store.getByLookup("apiKey", "CONFIGUREDADMIN")!;
    const legacy = new Bun.CryptoHasher("sha256").update("first-secret-0123456789").digest("hex");
    store.update(key.id, { secret: legacy });
    const log = recorder();
    bootstrap(store, null, env("first-secret-0123456789"), log);
    expect(store.secretOf(key.id)).toStartWith("hmac-sha256$");
    expect(log.lines.filter((l) => l.includes("rotated"))).toEqual([]);
  });

  test("an access key that belongs to another account is refused", () => {
    const store = new Store(openDatabase(":memory:"));
    bootstrap(store, null, {}, recorder());
    insertApiKey(store, { kind: "project", accountId: "1a2" }, "env key", {
      publicValue: "TAKENBYPROJECT",
      secretValue: "x".repeat(40),
    });
    expect(() => bootstrap(store, null, env("some-secret-0123456789", "TAKENBYPROJECT"), recorder())).toThrow(
      /another account/,
    );
  });

  test("a deactivated configured key stays deactivated, with a warning", () => {
    const store = new Store(openDatabase(":memory:"));
    bootstrap(store, null, env("first-secret-0123456789"), recorder());
    const key = store.getByLookup("apiKey", "CONFIGUREDADMIN")!;
    store.update(key.id, { state: "inactive" });
    const log = recorder();
    bootstrap(store, null, env("first-secret-0123456789"), log);
    expect(store.getByLookup("apiKey", "CONFIGUREDADMIN")!.state).toBe("inactive");
    expect(log.lines.some((l) => l.startsWith("warn") && l.includes("deactivated"))).toBe(true);
  });

  test("16 characters are enough; 15 are not", () => {
    const store = new Store(openDatabase(":memory:"));
    expect(() => bootstrap(store, null, env("x".repeat(15)), recorder())).toThrow(/at least 16/);
    expect(bootstrap(store, null, env("x".repeat(16)), recorder()).accessKey).toBe("CONFIGUREDADMIN");
  });
});
