import { instanceSpecSchema } from "@corral/api";
import { z } from "zod";

/**
 * Shapes of the `data` of each server event. The api package types the envelope only, so the agent
 * checks each payload here before touching Docker. Objects are not strict: a newer server may add
 * fields an older agent does not know, and ignoring them is safe.
 */

const streamId = z.string().min(1).max(64);

/** `instance.start|stop|restart|remove|inspect|stats`: which container, and a stop timeout. */
export const containerRefDataSchema = z.object({
  containerId: z.string().min(1).max(32),
  // null when the server never learned the Docker id (create failed half-way); the label finds it then.
  dockerId: z.string().min(1).max(128).nullish(),
  timeoutSec: z.number().int().min(0).max(3600).optional(),
});

/** `instance.create`: the spec, and whether to start the container at once. */
export const createDataSchema = z.object({
  spec: instanceSpecSchema,
  start: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
});

/** `instance.logs`: a log stream request. */
export const logsDataSchema = containerRefDataSchema.extend({
  streamId,
  follow: z.boolean().default(false),
  lines: z.number().int().min(0).max(1_000_000).optional(),
  timestamps: z.boolean().default(false),
});

/** `instance.exec`: a command to run in the container, with its stream. */
export const execDataSchema = containerRefDataSchema.extend({
  streamId,
  command: z.array(z.string().max(8192)).min(1).max(256),
  tty: z.boolean().default(false),
  attachStdin: z.boolean().default(false),
});

/** `host.resync`: no input. */
export const resyncDataSchema = z.object({});
