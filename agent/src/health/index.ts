/** Health checks of managed containers (Rancher's healthcheck), reported as healthEvent frames. */
export {
  createHealthController,
  type HealthControllerOptions,
  type HealthHostController,
} from "./controller.ts";
export { HealthMonitor, type HealthMonitorOptions } from "./health-monitor.ts";
