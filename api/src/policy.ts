import { z } from "zod";

/**
 * An environment's container policy: what its containers may take from their host. Admins set it
 * (project field `containerPolicy`); every container create, service create or upgrade and stack
 * create or upgrade in the environment is held against it, and a launch config that asks for more
 * is refused whole, naming the field and the policy rule.
 */

const absolutePath = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^\/[^:\s]*$/, "must be an absolute path without ':'");

/** A host folder bind mounts may come from: the folder itself and anything under it. */
export const hostPathRuleSchema = z.strictObject({
  pathPrefix: absolutePath,
  /** Bind mounts from here must be read-only (`:ro`). */
  readOnly: z.boolean().default(false),
});

/** A Linux capability name as Docker takes it (`NET_ADMIN`, `CAP_NET_ADMIN`, `ALL`), any case. */
const capabilityName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_]+$/, "must be a capability name such as NET_ADMIN, or ALL");

const policyShape = {
  /** `privileged: true`: every capability and device, no confinement. */
  allowPrivileged: z.boolean(),
  /** `networkMode: host` (compose `network_mode: host`). */
  allowHostNetwork: z.boolean(),
  /** `pidMode: host` (compose `pid: host`). */
  allowHostPid: z.boolean(),
  /** `ipcMode: host` (compose `ipc: host`). */
  allowHostIpc: z.boolean(),
  /** `uts: host` (compose `uts: host`). */
  allowHostUts: z.boolean(),
  /** Host folders bind mounts may come from; none means no host bind mounts (named volumes are fine). */
  allowedHostPaths: z.array(hostPathRuleSchema).max(64),
  /** Capabilities `capAdd` may add; `ALL` allows any. Dropping capabilities is always allowed. */
  allowedCapabilities: z.array(capabilityName).max(64),
  /** Host device paths (or folders of them, `/dev/snd`) `devices` may map; `/` allows any. */
  allowedDevices: z.array(absolutePath).max(64),
  /**
   * `securityOpt` entries beyond `no-new-privileges` (seccomp, apparmor and SELinux label
   * overrides, `systempaths=unconfined`), which loosen or replace the engine's confinement.
   */
  allowSecurityOptOverrides: z.boolean(),
};

/** A whole policy; absent rules take the default (refused). */
export const containerPolicySchema = z.strictObject({
  allowPrivileged: policyShape.allowPrivileged.default(false),
  allowHostNetwork: policyShape.allowHostNetwork.default(false),
  allowHostPid: policyShape.allowHostPid.default(false),
  allowHostIpc: policyShape.allowHostIpc.default(false),
  allowHostUts: policyShape.allowHostUts.default(false),
  allowedHostPaths: policyShape.allowedHostPaths.default([]),
  allowedCapabilities: policyShape.allowedCapabilities.default([]),
  allowedDevices: policyShape.allowedDevices.default([]),
  allowSecurityOptOverrides: policyShape.allowSecurityOptOverrides.default(false),
});
/** An environment's container policy. */
export type ContainerPolicy = z.infer<typeof containerPolicySchema>;

/** A change to a policy: the rules given replace the current ones, the others stay. */
export const containerPolicyUpdateSchema = z.strictObject({
  allowPrivileged: policyShape.allowPrivileged.optional(),
  allowHostNetwork: policyShape.allowHostNetwork.optional(),
  allowHostPid: policyShape.allowHostPid.optional(),
  allowHostIpc: policyShape.allowHostIpc.optional(),
  allowHostUts: policyShape.allowHostUts.optional(),
  allowedHostPaths: z.array(hostPathRuleSchema).max(64).optional(),
  allowedCapabilities: policyShape.allowedCapabilities.optional(),
  allowedDevices: policyShape.allowedDevices.optional(),
  allowSecurityOptOverrides: policyShape.allowSecurityOptOverrides.optional(),
});

/** The policy of a new environment: nothing from the host beyond what a plain container gets. */
export const defaultContainerPolicy: ContainerPolicy = containerPolicySchema.parse({});

/**
 * Everything allowed, as Rancher 1.6 (and Corral before policies) did: what environments that
 * existed before policies keep, so an upgrade does not refuse the stacks they run.
 */
export const permissiveContainerPolicy: ContainerPolicy = {
  allowPrivileged: true,
  allowHostNetwork: true,
  allowHostPid: true,
  allowHostIpc: true,
  allowHostUts: true,
  allowedHostPaths: [{ pathPrefix: "/", readOnly: false }],
  allowedCapabilities: ["ALL"],
  allowedDevices: ["/"],
  allowSecurityOptOverrides: true,
};
