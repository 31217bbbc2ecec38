import { AppError, createLogger } from "@corral/lib";
import { z } from "zod";
import type { Store } from "../store/store.ts";
import { type AccessMode, type AllowedIdentity, accessModes, allowedIdentitySchema } from "./access.ts";
import type { AuthProvider, ProviderModule } from "./identity.ts";
import type { SecretBox } from "./secret-box.ts";

const log = createLogger("auth.configs");

/** The config of local accounts: always there, and never able to shut out the admin. */
export const localConfigName = "localauthconfig";

/** A provider's settings as stored (secret fields sealed with the server's SecretBox). */
export interface StoredAuthConfig {
  enabled: boolean;
  accessMode: AccessMode;
  allowedIdentities: AllowedIdentity[];
  /** The module's own fields; secret ones hold sealed values. */
  fields: Record<string, unknown>;
}

/** Fields of a config answer that a client may send back unchanged and that mean nothing here. */
const presentationFields = new Set([
  "id",
  "type",
  "baseType",
  "links",
  "actions",
  "name",
  "state",
  "created",
]);

const commonSchema = z.strictObject({
  enabled: z.boolean().optional(),
  accessMode: z.enum(accessModes).optional(),
  allowedIdentities: z.array(allowedIdentitySchema).max(1000).optional(),
});

const settingKey = (name: string) => `authConfig.${name}`;

/**
 * The configs of local accounts and of every provider module (Rancher's `localauthconfig`,
 * `openldapconfig`, `githubconfig`, ...), kept in the settings table. Secret fields are sealed
 * before they are written and shown as "" in answers; a config sent back with "" (or without the
 * field) keeps the stored secret. One external provider is enabled at a time (enabling one turns
 * the others off), as Rancher had one configured provider; local accounts always work beside it.
 */
export class AuthConfigs {
  private readonly providers = new Map<string, AuthProvider>();

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly modules: readonly ProviderModule[],
  ) {}

  /** Every config name, local first. */
  names(): string[] {
    return [localConfigName, ...this.modules.map((m) => m.configName)];
  }

  /** The canonical config name for `name` (any case), or null when there is no such provider. */
  canonical(name: string): string | null {
    const lower = name.toLowerCase();
    return this.names().find((n) => n.toLowerCase() === lower) ?? null;
  }

  /** The module of a config name (undefined for local accounts). */
  module(name: string): ProviderModule | undefined {
    return this.modules.find((m) => m.configName === name);
  }

  /** The stored config of `name` (defaults when never set: local enabled, others disabled). */
  stored(name: string): StoredAuthConfig {
    const raw = this.store.getSetting(settingKey(name));
    const fallback: StoredAuthConfig = {
      enabled: name === localConfigName,
      accessMode: "unrestricted",
      allowedIdentities: [],
      fields: {},
    };
    if (!raw) return fallback;
    try {
      return { ...fallback, ...(JSON.parse(raw) as Partial<StoredAuthConfig>) };
    } catch {
      log.warn("a stored provider config is not JSON; using defaults", { name });
      return fallback;
    }
  }

  /** The external provider enabled now, if any. */
  enabledExternal(): string | null {
    return this.modules.find((m) => this.stored(m.configName).enabled)?.configName ?? null;
  }

  /** The config as the API shows it: secrets as "". */
  present(name: string, base: string): Record<string, unknown> {
    const c = this.stored(name);
    const fields: Record<string, unknown> = { ...c.fields };
    for (const f of this.module(name)?.secretFields ?? []) fields[f] = "";
    return {
      id: name,
      type: name,
      baseType: name,
      name,
      ...fields,
      enabled: c.enabled,
      accessMode: c.accessMode,
      allowedIdentities: c.allowedIdentities,
      links: { self: `${base}/v2-beta/${name}` },
      actions: {},
    };
  }

  /**
   * Validates and stores a config sent by an admin (merged over the stored one, as Rancher's POST
   * merged); refused whole with a 4xx when any part is wrong. Returns the stored config.
   */
  update(name: string, body: unknown): StoredAuthConfig {
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new AppError("InvalidBodyContent", "send a JSON object");
    const common: Record<string, unknown> = {};
    const own: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      if (presentationFields.has(k)) continue;
      if (k === "enabled" || k === "accessMode" || k === "allowedIdentities") common[k] = v;
      else own[k] = v;
    }
    const parsed = commonSchema.safeParse(common);
    if (!parsed.success) throw new AppError("InvalidFormat", z.prettifyError(parsed.error).slice(0, 2000));
    const module = this.module(name);
    const current = this.stored(name);
    if (!module && Object.keys(own).length > 0)
      throw new AppError("InvalidOption", `${name} has no field ${Object.keys(own)[0]!.slice(0, 64)}`);
    const next: StoredAuthConfig = {
      enabled: parsed.data.enabled ?? current.enabled,
      accessMode: parsed.data.accessMode ?? current.accessMode,
      allowedIdentities: parsed.data.allowedIdentities ?? current.allowedIdentities,
      fields: current.fields,
    };
    if (module) {
      const plain = { ...this.openSecrets(module, current.fields) };
      for (const [k, v] of Object.entries(own)) {
        if (module.secretFields.includes(k) && (v === "" || v === null)) continue;
        plain[k] = v;
      }
      if (next.enabled || Object.keys(own).length > 0) {
        const check = module.configSchema.safeParse(plain);
        if (!check.success)
          throw new AppError("InvalidFormat", `${name}: ${z.prettifyError(check.error).slice(0, 2000)}`);
      }
      next.fields = this.sealSecrets(module, plain);
    }
    this.store.transaction(() => {
      if (module && next.enabled)
        for (const other of this.modules)
          if (other !== module && this.stored(other.configName).enabled)
            this.store.setSetting(
              settingKey(other.configName),
              JSON.stringify({ ...this.stored(other.configName), enabled: false }),
            );
      this.store.setSetting(settingKey(name), JSON.stringify(next));
    });
    for (const other of this.modules) this.drop(other.configName);
    return next;
  }

  /** A working provider for an enabled external config (built once, rebuilt after changes). */
  provider(name: string): AuthProvider {
    const module = this.module(name);
    if (!module) throw new AppError("NotFound", `no provider ${name.slice(0, 64)}`);
    const c = this.stored(name);
    if (!c.enabled) throw new AppError("InvalidState", `${name} is not enabled`);
    const cached = this.providers.get(name);
    if (cached) return cached;
    const config = module.configSchema.safeParse(this.openSecrets(module, c.fields));
    if (!config.success) throw new AppError("InvalidState", `the stored ${name} is not valid; set it again`);
    const provider = module.create(config.data);
    this.providers.set(name, provider);
    return provider;
  }

  /** Closes every provider built (server stop). */
  async close(): Promise<void> {
    const all = [...this.providers.values()];
    this.providers.clear();
    await Promise.all(all.map((p) => p.close().catch(() => {})));
  }

  private drop(name: string): void {
    const p = this.providers.get(name);
    this.providers.delete(name);
    if (p) void p.close().catch(() => {});
  }

  private openSecrets(module: ProviderModule, fields: Record<string, unknown>): Record<string, unknown> {
    const out = { ...fields };
    for (const f of module.secretFields) {
      const v = out[f];
      if (typeof v === "string" && v !== "") out[f] = this.box.open(v);
    }
    return out;
  }

  private sealSecrets(module: ProviderModule, fields: Record<string, unknown>): Record<string, unknown> {
    const out = { ...fields };
    for (const f of module.secretFields) {
      const v = out[f];
      if (typeof v === "string" && v !== "") out[f] = this.box.seal(v);
    }
    return out;
  }
}
