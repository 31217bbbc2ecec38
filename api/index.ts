/** The contract shared by every Corral process: schemas, protocol messages, error codes and ids. */
export * from "./src/agent-events.ts";
export * from "./src/errors.ts";
export * from "./src/host-reports.ts";
export * from "./src/host-state.ts";
export * from "./src/host-state-frames.ts";
export * from "./src/host-state-sync.ts";
export * from "./src/host-status.ts";
export * from "./src/ids.ts";
export * from "./src/policy.ts";
export * from "./src/protocol.ts";
export * from "./src/registries.ts";
export * from "./src/resources.ts";
export * from "./src/stack.ts";
export * from "./src/webhooks.ts";
