import type { ProviderModule } from "../identity.ts";
import { type GithubConfig, githubConfigSchema } from "./config.ts";
import { createGithubProvider } from "./provider.ts";

/** GitHub and GitHub Enterprise OAuth (`githubconfig`), with Rancher 1.6's fields. */
export const githubModule: ProviderModule<GithubConfig> = {
  configName: "githubconfig",
  idTypes: ["github_user", "github_org", "github_team"],
  configSchema: githubConfigSchema,
  secretFields: ["clientSecret"],
  create: (config) => createGithubProvider(config),
};
