import { z } from "zod";
import { descriptionSchema, nameSchema } from "./resources.ts";

/**
 * A registry's address as Docker names it in an image reference: a host name or IP with an
 * optional port (`registry.example.com:5000`, `127.0.0.1:5000`), no scheme and no path.
 */
export const registryAddressSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:[0-9]{1,5})?$/,
    "must be a registry host with an optional port (no scheme, no path), e.g. registry.example.com:5000",
  );

/** Input to create a registry (Rancher 1.6's `registry`: where private images come from). */
export const registryCreateSchema = z.strictObject({
  serverAddress: registryAddressSchema,
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
});

/** Input to edit a registry. */
export const registryUpdateSchema = z.strictObject({
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
});

/** Input to create a registry credential: a user name and password for one registry. */
export const registryCredentialCreateSchema = z.strictObject({
  registryId: z.string().min(1).max(32),
  publicValue: z.string().min(1).max(256),
  secretValue: z.string().min(1).max(4096),
  email: z.string().max(256).optional(),
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
});

/** Input to edit a registry credential (a new secretValue replaces the stored one). */
export const registryCredentialUpdateSchema = z.strictObject({
  publicValue: z.string().min(1).max(256).optional(),
  secretValue: z.string().min(1).max(4096).optional(),
  email: z.string().max(256).optional(),
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
});

/** A secret's value as Rancher 1.6 took it: base64 of the bytes, up to 64 KiB of them. */
const base64Value = z
  .string()
  .min(1)
  .max(90_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64 (as Rancher's secrets were)")
  .refine((v) => v.length % 4 === 0, "must be base64 (length a multiple of 4)");

/** Input to create a secret (Rancher 1.6's `secret`: name, base64 value, description). */
export const secretCreateSchema = z.strictObject({
  name: nameSchema,
  value: base64Value,
  description: descriptionSchema.optional(),
});

/** Input to edit a secret: a new value reaches containers made from then on (upgrade a service). */
export const secretUpdateSchema = z.strictObject({
  value: base64Value.optional(),
  description: descriptionSchema.optional(),
});

/** Credentials for one image pull, sent only with the create that needs them. */
export const pullAuthSchema = z.strictObject({
  username: z.string().max(256),
  password: z.string().max(4096),
  serveraddress: z.string().max(255),
  email: z.string().max(256).optional(),
});
/** Credentials for one image pull. */
export type PullAuth = z.infer<typeof pullAuthSchema>;

/** One secret file of a container: written under /run/secrets/<target> on a tmpfs. */
export const secretFileSchema = z.strictObject({
  /** File name under /run/secrets: one path segment. */
  target: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[a-zA-Z0-9_.-]+$/, "must be a file name")
    .refine((t) => t !== "." && t !== "..", "must be a file name"),
  uid: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31),
  gid: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31),
  mode: z.number().int().min(0).max(0o7777),
  /** The bytes, base64. */
  value: z.string().max(90_000),
});
/** One secret file of a container. */
export type SecretFile = z.infer<typeof secretFileSchema>;
