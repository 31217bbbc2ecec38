/** CorralOS: PID 1 (`corral init`), the config schema and merge, the system-service supervisor, and their CLI. */
export * from "./src/services/service-file.ts";
export * from "./src/services/service-schema.ts";
export * from "./src/yaml-source.ts";
