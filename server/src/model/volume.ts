/** Stored fields of a volume: a named Docker volume of one environment, made on its hosts. */
export interface VolumeFields {
  description?: string;
  driver: string;
  driverOpts: Record<string, string>;
  /** Hosts whose engine holds the volume, as far as their agents answered. */
  hostIds: string[];
  transitioningMessage?: string;
  /** The stack that owns it (a compose top-level volume): removed with the stack. */
  stackId?: string;
  /**
   * The container a per-container volume belongs to (compose `per_container`): removed with it
   * (services/container-volumes.ts).
   */
  instanceId?: string;
}
