import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@corral/lib";
import { resetAdminInFolder } from "./admin-password.ts";
import { createSession, findSession } from "./auth/sessions.ts";
import { bootstrap } from "./bootstrap.ts";
import { openDatabase } from "./store/db.ts";
import { Store } from "./store/store.ts";

const log = createLogger("test");

function verify(store: Store, accountId: string, password: string): boolean {
  const admin = store.getByPublicId("account", accountId)!;
  return Bun.password.verifySync(password, store.secretOf(admin.id)!);
}

describe("the first admin's password", () => {
  test("is generated once, written beside the key (0600), and not again at the next start", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-admin-"));
    try {
      const db = openDatabase(join(dir, "corral.db"));
      const store = new Store(db);
      const first = bootstrap(store, dir, {}, log);
      expect(first.username).toBe("admin");
      expect(first.password).toMatch(/^[A-Za-z0-9]{20}$/);
      const file = JSON.parse(readFileSync(join(dir, "admin-key.json"), "utf8"));
      expect(file).toMatchObject({ username: "admin", password: first.password, accessKey: first.accessKey });
      expect(statSync(join(dir, "admin-key.json")).mode & 0o777).toBe(0o600);
      expect(verify(store, first.adminAccountId, first.password!)).toBe(true);
      expect(bootstrap(store, dir, {}, log).password).toBeNull();
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("CORRAL_ADMIN_PASSWORD sets it at every start and a new value ends the admin's sessions", () => {
    const store = new Store(openDatabase(":memory:"));
    const a = bootstrap(store, null, { CORRAL_ADMIN_PASSWORD: "first-password" }, log);
    expect(a.password).toBeNull();
    expect(verify(store, a.adminAccountId, "first-password")).toBe(true);
    const s = createSession(
      store,
      { accountId: a.adminAccountId, authProvider: "localauthconfig", clientIp: "" },
      60_000,
    );
    bootstrap(store, null, { CORRAL_ADMIN_PASSWORD: "first-password" }, log);
    expect(findSession(store, s.token)).not.toBeNull();
    bootstrap(store, null, { CORRAL_ADMIN_PASSWORD: "second-password" }, log);
    expect(verify(store, a.adminAccountId, "second-password")).toBe(true);
    expect(findSession(store, s.token)).toBeNull();
    expect(() => bootstrap(store, null, { CORRAL_ADMIN_PASSWORD: "short" }, log)).toThrow(
      /CORRAL_ADMIN_PASSWORD/,
    );
  });

  test("reset-admin sets a new one in a data folder, activates the admin and ends its sessions", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-reset-"));
    try {
      const db = openDatabase(join(dir, "corral.db"));
      const store = new Store(db);
      const a = bootstrap(store, dir, {}, log);
      const s = createSession(
        store,
        { accountId: a.adminAccountId, authProvider: "localauthconfig", clientIp: "" },
        60_000,
      );
      db.close();
      const reset = resetAdminInFolder(dir);
      expect(reset.username).toBe("admin");
      expect(reset.password).not.toBe(a.password);
      const again = new Store(openDatabase(join(dir, "corral.db")));
      expect(verify(again, a.adminAccountId, reset.password)).toBe(true);
      expect(verify(again, a.adminAccountId, a.password!)).toBe(false);
      expect(findSession(again, s.token)).toBeNull();
      const file = JSON.parse(readFileSync(join(dir, "admin-key.json"), "utf8"));
      expect(file.password).toBe(reset.password);
      expect(file.accessKey).toBe(a.accessKey);
      again.db.close();
      expect(() => resetAdminInFolder(join(dir, "nothing"))).toThrow(/no Corral store/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
