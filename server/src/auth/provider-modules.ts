import { githubModule } from "./github/module.ts";
import type { ProviderModule } from "./identity.ts";
import { activeDirectoryModule, openLdapModule } from "./ldap/modules.ts";
import { oidcModule } from "./oidc/module.ts";

/**
 * Every external identity provider the server can be configured with, by config name. Local
 * accounts are not listed: they are always there, so an admin can never be locked out.
 */
export const providerModules: ProviderModule[] = [
  openLdapModule as ProviderModule,
  activeDirectoryModule as ProviderModule,
  githubModule,
  oidcModule,
];
