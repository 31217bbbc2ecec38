import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { AppError } from "@corral/lib";
import { bootstrap } from "../bootstrap.ts";
import { openDatabase } from "../store/db.ts";
import { Store } from "../store/store.ts";
import { AuthConfigs } from "./auth-configs.ts";
import { LoginService } from "./login.ts";
import { SecretBox } from "./secret-box.ts";
import {
  createSession,
  findSession,
  purgeOldSessions,
  revokeAccountSessions,
  tokenLookup,
} from "./sessions.ts";

function setup(limits = { perSecond: 0.001, burst: 2 }) {
  const store = new Store(openDatabase(":memory:"));
  const admin = bootstrap(store, null, {});
  const configs = new AuthConfigs(store, new SecretBox(randomBytes(32)), []);
  return { store, admin, login: new LoginService(store, configs, 3600_000, limits) };
}

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 201;
  } catch (e) {
    if (e instanceof AppError) return e.status;
    throw e;
  }
}

describe("LoginService limits", () => {
  test("an account name's failures hold it up from every address", async () => {
    const { login, admin } = setup();
    const pw = admin.password!;
    expect(await status(login.passwordLogin("localauthconfig", "admin", "wrong-1", "10.0.0.1"))).toBe(401);
    expect(await status(login.passwordLogin("localauthconfig", "admin", "wrong-2", "10.0.0.2"))).toBe(401);
    expect(await status(login.passwordLogin("localauthconfig", "admin", pw, "10.0.0.3"))).toBe(429);
    expect(await status(login.passwordLogin("localauthconfig", "ADMIN", pw, "10.0.0.4"))).toBe(429);
  });

  test("an address that logged in to the account before is not held up by others' failures", async () => {
    const { login, admin } = setup();
    const pw = admin.password!;
    expect(await status(login.passwordLogin("localauthconfig", "admin", pw, "10.0.2.1"))).toBe(201);
    for (const from of ["10.0.2.7", "10.0.2.8"])
      expect(await status(login.passwordLogin("localauthconfig", "admin", "wrong", from))).toBe(401);
    // A stranger with the right password waits; the owner's usual address does not.
    expect(await status(login.passwordLogin("localauthconfig", "admin", pw, "10.0.2.9"))).toBe(429);
    expect(await status(login.passwordLogin("localauthconfig", "admin", pw, "10.0.2.1"))).toBe(201);
    // The known address still has its own limit.
    for (let i = 0; i < 2; i++)
      expect(await status(login.passwordLogin("localauthconfig", "admin", "wrong", "10.0.2.1"))).toBe(401);
    expect(await status(login.passwordLogin("localauthconfig", "admin", pw, "10.0.2.1"))).toBe(429);
  });

  test("an address's failures hold it up for every account name", async () => {
    const { login, admin } = setup();
    expect(await status(login.passwordLogin("localauthconfig", "x1", "wrong-1", "10.0.1.1"))).toBe(401);
    expect(await status(login.passwordLogin("localauthconfig", "x2", "wrong-2", "10.0.1.1"))).toBe(401);
    expect(await status(login.passwordLogin("localauthconfig", "admin", admin.password!, "10.0.1.1"))).toBe(
      429,
    );
    expect(await status(login.passwordLogin("localauthconfig", "admin", admin.password!, "10.0.1.2"))).toBe(
      201,
    );
  });
});

describe("sessions", () => {
  test("only the token's hash is stored; expired, revoked and purged sessions do not open", () => {
    const { store, admin } = setup();
    const live = createSession(
      store,
      { accountId: admin.adminAccountId, authProvider: "localauthconfig", clientIp: "" },
      60_000,
    );
    expect(live.row.lookup).toBe(tokenLookup(live.token));
    expect(JSON.stringify(store.db.query("SELECT * FROM resource").all())).not.toContain(live.token);
    expect(findSession(store, live.token)?.id).toBe(live.row.id);
    expect(findSession(store, `${live.token}x`)).toBeNull();
    const old = createSession(
      store,
      { accountId: admin.adminAccountId, authProvider: "x", clientIp: "" },
      -1,
    );
    expect(findSession(store, old.token)).toBeNull();
    expect(revokeAccountSessions(store, admin.adminAccountId)).toBe(2);
    expect(findSession(store, live.token)).toBeNull();
    expect(purgeOldSessions(store)).toBe(2);
    expect(store.all("session")).toEqual([]);
  });
});
