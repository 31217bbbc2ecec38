import type { ControllerStatus, HostStatusReport } from "@corral/api";

/**
 * The host status record: controller name -> how it is doing. Every controller's runner writes its
 * own entry after each reconcile (each entry has one writer), and the agent's pings carry a copy.
 */
export class HostStatus {
  private readonly entries = new Map<string, ControllerStatus>();

  /** Replaces a controller's entry. */
  set(name: string, status: ControllerStatus): void {
    this.entries.set(name, { ...status });
  }

  /** A controller's entry, or undefined when it never ran. */
  get(name: string): ControllerStatus | undefined {
    const status = this.entries.get(name);
    return status && { ...status };
  }

  /** A copy of every entry, for a ping. */
  snapshot(): HostStatusReport {
    return Object.fromEntries([...this.entries].map(([name, status]) => [name, { ...status }]));
  }
}
