import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatId } from "@corral/api";
import { newKeyPair, randomToken } from "./auth/keys.ts";
import type { AccountFields } from "./services/accounts.ts";
import { type ApiKeyData, insertApiKey } from "./services/api-keys.ts";
import type { ProjectFields } from "./services/context.ts";
import { insertRegistrationToken, type RegistrationTokenFields } from "./services/registration.ts";
import type { Store } from "./store/store.ts";

/** What the first start created or found: the admin's key (secret only when just generated). */
export interface BootstrapResult {
  adminAccountId: string;
  defaultProjectId: string;
  accessKey: string;
  secretKey: string | null;
  generated: boolean;
}

/**
 * On first start creates the admin account, its API key and the `Default` environment with a
 * registration token. The key comes from CORRAL_ADMIN_ACCESS_KEY / CORRAL_ADMIN_SECRET_KEY when set;
 * otherwise it is generated and written once to `<data>/admin-key.json` (mode 0600).
 */
export function bootstrap(store: Store, dataDir: string | null, env = process.env): BootstrapResult {
  const wanted =
    env.CORRAL_ADMIN_ACCESS_KEY && env.CORRAL_ADMIN_SECRET_KEY
      ? { publicValue: env.CORRAL_ADMIN_ACCESS_KEY, secretValue: env.CORRAL_ADMIN_SECRET_KEY }
      : null;
  return store.transaction(() => {
    let adminAccountId = store.getSetting("adminAccountId");
    let defaultProjectId = store.getSetting("defaultProjectId");
    let generated = false;
    if (!store.getSetting("installId")) store.setSetting("installId", randomToken(16).toLowerCase());
    let secretKey: string | null = null;
    if (!adminAccountId) {
      const admin = store.insert<AccountFields>("account", {
        name: "admin",
        state: "active",
        data: { kind: "admin" },
      });
      adminAccountId = formatId("account", admin.id);
      store.setSetting("adminAccountId", adminAccountId);
      const project = store.insert<ProjectFields>("project", {
        name: "Default",
        state: "active",
        data: { description: "The default environment", members: [] },
      });
      defaultProjectId = formatId("project", project.id);
      store.setSetting("defaultProjectId", defaultProjectId);
      insertRegistrationToken(store, defaultProjectId, "default");
    }
    let accessKey: string;
    if (wanted) {
      accessKey = wanted.publicValue;
      const existing = store.getByLookup<ApiKeyData>("apiKey", wanted.publicValue);
      if (!existing)
        insertApiKey(
          store,
          { kind: "account", accountId: adminAccountId },
          "admin (from environment)",
          wanted,
        );
    } else {
      const keys = store.all<ApiKeyData>("apiKey", {
        state: ["active"],
        dataField: ["accountId", adminAccountId],
      });
      if (keys.length > 0) accessKey = keys[0]!.data.publicValue;
      else {
        const pair = newKeyPair();
        insertApiKey(store, { kind: "account", accountId: adminAccountId }, "admin (generated)", pair);
        accessKey = pair.publicValue;
        secretKey = pair.secretValue;
        generated = true;
        if (dataDir) writeKeyFile(dataDir, accessKey, secretKey);
      }
    }
    return { adminAccountId, defaultProjectId: defaultProjectId!, accessKey, secretKey, generated };
  });
}

/** The active registration token of the default environment (for the local agent). */
export function defaultRegistrationToken(store: Store): string | null {
  const pid = store.getSetting("defaultProjectId");
  if (!pid) return null;
  const tokens = store.all<RegistrationTokenFields>("registrationToken", {
    projectId: pid,
    state: ["active"],
  });
  return tokens[0]?.data.token ?? null;
}

function writeKeyFile(dataDir: string, accessKey: string, secretKey: string): void {
  const path = join(dataDir, "admin-key.json");
  if (existsSync(path)) chmodSync(path, 0o600);
  writeFileSync(path, `${JSON.stringify({ accessKey, secretKey }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
