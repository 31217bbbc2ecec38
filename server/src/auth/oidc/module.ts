import type { ProviderModule } from "../identity.ts";
import { type OidcConfig, oidcConfigSchema } from "./config.ts";
import { createOidcProvider } from "./provider.ts";

/** Generic OpenID Connect (`oidcconfig`): Keycloak, Dex, GitLab, Google and other certified issuers. */
export const oidcModule: ProviderModule<OidcConfig> = {
  configName: "oidcconfig",
  idTypes: ["oidc_user", "oidc_group"],
  configSchema: oidcConfigSchema,
  secretFields: ["clientSecret"],
  create: (config) => createOidcProvider(config),
};
