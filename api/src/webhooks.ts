import { z } from "zod";

/** `scaleServiceConfig` of a receiver: scale one service up or down by `amount` within min..max. */
export const scaleServiceConfigSchema = z
  .strictObject({
    serviceId: z.string().min(1).max(32),
    action: z.enum(["up", "down"]),
    amount: z.number().int().min(1).max(1000).default(1),
    min: z.number().int().min(0).max(10_000).default(1),
    max: z.number().int().min(1).max(10_000).default(100),
  })
  .refine((c) => c.min <= c.max, { message: "min must not be above max", path: ["min"] });

/** `serviceUpgradeConfig` of a receiver: in-service upgrade of services chosen by labels. */
export const serviceUpgradeConfigSchema = z.strictObject({
  serviceSelector: z
    .record(z.string().min(1).max(255), z.string().max(1024))
    .refine((m) => Object.keys(m).length > 0 && Object.keys(m).length <= 32, {
      message: "needs 1 to 32 labels",
    }),
  /** The pushed tag that triggers the upgrade (Rancher's `tag`). */
  tag: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "must be a Docker tag"),
  payloadFormat: z.enum(["dockerhub", "registry"]).default("dockerhub"),
  batchSize: z.number().int().min(1).max(1000).default(1),
  intervalMillis: z.number().int().min(0).max(3_600_000).default(2000),
  startFirst: z.boolean().default(false),
});

/** Input to create a webhook receiver (Rancher's webhook service field names). */
export const receiverCreateSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "letters, digits, _ . -"),
    driver: z.enum(["scaleService", "serviceUpgrade"]),
    scaleServiceConfig: scaleServiceConfigSchema.optional(),
    serviceUpgradeConfig: serviceUpgradeConfigSchema.optional(),
  })
  .superRefine((r, ctx) => {
    const want = r.driver === "scaleService" ? "scaleServiceConfig" : "serviceUpgradeConfig";
    const other = r.driver === "scaleService" ? "serviceUpgradeConfig" : "scaleServiceConfig";
    if (!r[want]) ctx.addIssue({ code: "custom", path: [want], message: `driver ${r.driver} needs ${want}` });
    if (r[other])
      ctx.addIssue({ code: "custom", path: [other], message: `driver ${r.driver} takes no ${other}` });
  });
/** A receiver's create input, before defaults. */
export type ReceiverCreate = z.input<typeof receiverCreateSchema>;

/** Docker Hub's push notification (the fields read of it). */
export const dockerHubPushSchema = z.object({
  push_data: z.object({ tag: z.string().min(1).max(128) }),
  repository: z.object({ repo_name: z.string().min(1).max(255) }),
});

/** Docker Registry v2's notification envelope (the fields read of it). */
export const registryEnvelopeSchema = z.object({
  events: z
    .array(
      z.object({
        action: z.string().max(32),
        target: z
          .object({
            repository: z.string().max(255).optional(),
            tag: z.string().max(128).optional(),
          })
          .optional(),
        request: z.object({ host: z.string().max(255).optional() }).optional(),
      }),
    )
    .max(1000),
});
