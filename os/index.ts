/** CorralOS: PID 1 (`corral init`), the config schema and merge, the system-service supervisor, and their CLI. */

export type { CliIo } from "./src/cli/cli-io.ts";
export { processCliIo } from "./src/cli/cli-io.ts";
export { configCommand } from "./src/cli/config-cmd.ts";
export { consoleCommand } from "./src/cli/console-cmd.ts";
export { engineCommand } from "./src/cli/engine-cmd.ts";
export { installCommand } from "./src/cli/install-cmd.ts";
export { osCommand, osVersion } from "./src/cli/os-cmd.ts";
export { serviceCommand } from "./src/cli/service-cmd.ts";
export { tlsCommand } from "./src/cli/tls-cmd.ts";
export * from "./src/config/cmdline.ts";
export * from "./src/config/config-schema.ts";
export * from "./src/config/load-config.ts";
export { runInit } from "./src/init/run-init.ts";
export * from "./src/services/service-file.ts";
export * from "./src/services/service-schema.ts";
export * from "./src/yaml-source.ts";
