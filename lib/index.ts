/**
 * What several Corral processes share: the error type, logging, backoff, clocks, running programs,
 * a per-key serial queue, cooperative time slices, and the controller runtime (controllers, their
 * runner, the host status record).
 */
export * from "./src/app-error.ts";
export * from "./src/backoff.ts";
export * from "./src/clock.ts";
export * from "./src/controller/controller.ts";
export * from "./src/controller/host-status.ts";
export * from "./src/controller/runner.ts";
export * from "./src/exec.ts";
export * from "./src/keyed-queue.ts";
export * from "./src/logger.ts";
export * from "./src/time-slice.ts";
