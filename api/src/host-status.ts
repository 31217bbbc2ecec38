import { z } from "zod";

/**
 * The host status record agents carry in their pings: one entry per host controller (network,
 * ports, dns, metadata, lb, ipsec, health), each written by the controller runtime after every
 * reconcile, so an operator can see which piece of a host is not in line and why.
 */

/**
 * States of one controller: `waiting` (nothing to work from yet, or not reconciled yet), `ready`
 * (the last reconcile applied everything), `degraded` (it applied what it could, and part of what it
 * owns does not work: a config HAProxy refused, IPsec tunnels that are not up), `failing` (the last
 * reconcile threw; it is retried with backoff), `stopped` (the agent is shutting down).
 */
export const controllerStates = ["waiting", "ready", "degraded", "failing", "stopped"] as const;
/** A state of one controller. */
export type ControllerState = (typeof controllerStates)[number];

/** The longest message a controller status carries. */
export const maxControllerMessage = 1024;

/** How one controller is doing. */
export const controllerStatusSchema = z.strictObject({
  state: z.enum(controllerStates),
  /** What the last reconcile found, or why it failed. */
  message: z.string().max(maxControllerMessage).optional(),
  /** When the last reconcile ended (ISO time), successful or not; null before the first. */
  lastReconcile: z.string().max(64).nullable(),
  /** Reconciles that failed in a row (0 after a success). */
  failures: z.number().int().min(0),
});
/** How one controller is doing. */
export type ControllerStatus = z.infer<typeof controllerStatusSchema>;

/** Controller names: short kebab-case words. */
export const controllerNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9-]*$/);

/** Most controllers one record holds: far more than a host runs, small enough for every ping. */
const maxControllers = 64;

/** The host status record: controller name -> its status. */
export const hostStatusSchema = z
  .record(controllerNameSchema, controllerStatusSchema)
  .refine((record) => Object.keys(record).length <= maxControllers, {
    message: `at most ${maxControllers} controllers`,
  });
/** The host status record. */
export type HostStatusReport = z.infer<typeof hostStatusSchema>;
