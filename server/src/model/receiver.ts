import type { scaleServiceConfigSchema, serviceUpgradeConfigSchema } from "@corral/api";
import type { z } from "zod";

/** Stored fields of a webhook receiver: what its URL does when called. Its key is only hashed. */
export interface ReceiverFields {
  driver: "scaleService" | "serviceUpgrade";
  scaleServiceConfig?: z.output<typeof scaleServiceConfigSchema>;
  serviceUpgradeConfig?: z.output<typeof serviceUpgradeConfigSchema>;
  /** The first part of the key, used to find the row (the rest is checked against its digest). */
  publicValue: string;
  /** When it was last called, and what came of it. */
  lastTriggered?: number;
  lastResult?: string;
}
