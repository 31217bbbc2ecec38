/**
 * The Corral agent: registers a host with the server, keeps one websocket session to it, turns the
 * server's events into Docker work through a DockerDriver, and reports host facts and containers.
 */

export { createDockerDriver } from "./src/dockerode-driver.ts";
export type {
  CheckTarget,
  ContainerRef,
  ContainerStats,
  DockerDriver,
  EngineEvent,
  ExecHandle,
  ExecOptions,
  LogOptions,
} from "./src/driver.ts";
export { HealthMonitor, type HealthMonitorOptions } from "./src/health/health-monitor.ts";
export { collectHostFacts } from "./src/host-facts.ts";
export { HostStateBus, type HostStateListener } from "./src/host-state-bus.ts";
export { type RunAgentOptions, runAgent } from "./src/run-agent.ts";
export { type AgentState, loadState } from "./src/state.ts";
export { caChecksum, serverCa } from "./src/trust.ts";
