/** What several Corral processes share: the error type, logging, backoff and running programs. */
export * from "./src/app-error.ts";
export * from "./src/backoff.ts";
export * from "./src/exec.ts";
export * from "./src/logger.ts";
