import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatId } from "@corral/api";
import { AppError, createLogger, type Logger } from "@corral/lib";
import { ensureAdminLogin } from "./admin-password.ts";
import { checkSecret, hashSecret, newKeyPair, randomToken } from "./auth/keys.ts";
import type { AccountFields, ApiKeyData } from "./model/account.ts";
import type { ProjectFields, RegistrationTokenFields } from "./model/project.ts";
import { insertApiKey } from "./services/api-keys.ts";
import { insertRegistrationToken } from "./services/registration-tokens.ts";
import type { Row } from "./store/rows.ts";
import type { Store } from "./store/store.ts";

/** What the first start created or found: the admin's key (secret only when just generated). */
export interface BootstrapResult {
  adminAccountId: string;
  defaultProjectId: string;
  accessKey: string;
  secretKey: string | null;
  generated: boolean;
  /** The admin's login name. */
  username: string;
  /** The admin's password when it was just generated (shown once), else null. */
  password: string | null;
}

/** The shortest admin secret accepted from CORRAL_ADMIN_SECRET_KEY. */
export const minAdminSecretLength = 16;

/** Setting naming the key that CORRAL_ADMIN_ACCESS_KEY configured (its public id). */
const configuredKeySetting = "configuredAdminKeyId";

/**
 * On first start creates the admin account, its API key and the `Default` environment with a
 * registration token. The key comes from CORRAL_ADMIN_ACCESS_KEY / CORRAL_ADMIN_SECRET_KEY when set;
 * otherwise it is generated and written once to `<data>/admin-key.json` (mode 0600).
 *
 * The configured key is applied at every start, not only the first: a new secret replaces the old
 * one at once (logged as a rotation, never the value), and a new access key replaces the key
 * configured before. Settings that cannot work are refused with a message naming the variable.
 */
export function bootstrap(
  store: Store,
  dataDir: string | null,
  env: Record<string, string | undefined> = process.env,
  log: Logger = createLogger("server.bootstrap"),
): BootstrapResult {
  const wanted = configuredKey(env);
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
      applyConfiguredKey(store, adminAccountId, wanted, log);
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
      }
    }
    const login = ensureAdminLogin(store, adminAccountId, env, log);
    if (dataDir && (secretKey || login.password))
      writeKeyFile(dataDir, {
        ...(secretKey ? { accessKey, secretKey } : {}),
        ...(login.password ? { username: login.username, password: login.password } : {}),
      });
    return {
      adminAccountId,
      defaultProjectId: defaultProjectId!,
      accessKey,
      secretKey,
      generated,
      username: login.username,
      password: login.password,
    };
  });
}

/** The admin key pair set in the environment, or null; throws when it is set but cannot be used. */
function configuredKey(
  env: Record<string, string | undefined>,
): { publicValue: string; secretValue: string } | null {
  const publicValue = env.CORRAL_ADMIN_ACCESS_KEY ?? "";
  const secretValue = env.CORRAL_ADMIN_SECRET_KEY ?? "";
  if (!publicValue && !secretValue) return null;
  if (!secretValue)
    throw new AppError(
      "MissingRequired",
      "CORRAL_ADMIN_ACCESS_KEY is set but CORRAL_ADMIN_SECRET_KEY is not: set both, or neither to generate a key",
    );
  if (!publicValue)
    throw new AppError(
      "MissingRequired",
      "CORRAL_ADMIN_SECRET_KEY is set but CORRAL_ADMIN_ACCESS_KEY is not: set both, or neither to generate a key",
    );
  // HTTP Basic splits at the first colon, so an access key cannot hold one.
  if (!/^[\x21-\x39\x3b-\x7e]{1,128}$/.test(publicValue))
    throw new AppError(
      "InvalidOption",
      "CORRAL_ADMIN_ACCESS_KEY must be 1 to 128 printable ASCII characters without spaces or colons",
    );
  if (secretValue.length < minAdminSecretLength)
    throw new AppError(
      "InvalidOption",
      `CORRAL_ADMIN_SECRET_KEY is ${secretValue.length} characters long; it must have at least ${minAdminSecretLength} (a random one: openssl rand -hex 20)`,
    );
  return { publicValue, secretValue };
}

/**
 * Makes the configured pair the admin's working key: inserts it, or gives the existing key the
 * configured secret (the old secret stops working at once), and removes the key an earlier
 * CORRAL_ADMIN_ACCESS_KEY configured.
 */
function applyConfiguredKey(
  store: Store,
  adminAccountId: string,
  wanted: { publicValue: string; secretValue: string },
  log: Logger,
): void {
  let key = store.getByLookup<ApiKeyData>("apiKey", wanted.publicValue);
  if (key && (key.data.kind !== "account" || key.data.accountId !== adminAccountId))
    throw new AppError(
      "NotUnique",
      "CORRAL_ADMIN_ACCESS_KEY is the access key of another account's key; choose another",
    );
  if (!key) {
    key = insertApiKey(
      store,
      { kind: "account", accountId: adminAccountId },
      "admin (from environment)",
      wanted,
    ).row;
    log.info("admin key from CORRAL_ADMIN_ACCESS_KEY created", { accessKey: wanted.publicValue });
  } else {
    const stored = store.secretOf(key.id);
    const check = stored ? checkSecret(wanted.secretValue, stored) : { ok: false, legacy: false };
    if (!check.ok) {
      store.update(key.id, { secret: hashSecret(wanted.secretValue) });
      log.info(
        "admin secret key rotated: CORRAL_ADMIN_SECRET_KEY replaces the previous secret, which no longer works",
        {
          accessKey: wanted.publicValue,
        },
      );
    } else if (check.legacy) store.update(key.id, { secret: hashSecret(wanted.secretValue) });
    if (key.state !== "active")
      log.warn(
        "the admin key from CORRAL_ADMIN_ACCESS_KEY is deactivated; activate it with another admin key",
        {
          accessKey: wanted.publicValue,
        },
      );
  }
  retirePreviousConfiguredKey(store, key, log);
}

function retirePreviousConfiguredKey(store: Store, current: Row<ApiKeyData>, log: Logger): void {
  const currentId = store.publicId(current);
  const previousId = store.getSetting(configuredKeySetting);
  if (previousId && previousId !== currentId) {
    const previous = store.getByPublicId<ApiKeyData>("apiKey", previousId);
    if (previous && previous.state !== "removed") {
      store.update(previous.id, { state: "removed", removed: Date.now(), lookup: null });
      log.info("the admin key an earlier CORRAL_ADMIN_ACCESS_KEY configured was removed", {
        accessKey: previous.data.publicValue,
      });
    }
  }
  store.setSetting(configuredKeySetting, currentId);
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

/** Writes what was just generated to admin-key.json, keeping what the file held of the rest. */
function writeKeyFile(dataDir: string, generatedValues: Record<string, string>): void {
  const path = join(dataDir, "admin-key.json");
  let kept: Record<string, unknown> = {};
  if (existsSync(path)) {
    chmodSync(path, 0o600);
    try {
      kept = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    } catch {
      kept = {};
    }
  }
  writeFileSync(path, `${JSON.stringify({ ...kept, ...generatedValues }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
