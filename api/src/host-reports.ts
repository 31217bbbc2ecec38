import { z } from "zod";

/**
 * What agents report about the host controllers in their hello and ping frames: the IPsec mesh
 * (data plane and every tunnel) and the load balancers (which config each serves, or why HAProxy
 * refused one).
 */

/** States of one IPsec tunnel as its host sees it. */
export const ipsecTunnelStates = ["up", "connecting", "down"] as const;

/** One tunnel of a host's IPsec mesh: its state, why it is not up, and what went through it. */
export const ipsecPeerStatusSchema = z.strictObject({
  hostId: z.string().min(1).max(64),
  agentIp: z.string().max(64),
  state: z.enum(ipsecTunnelStates),
  /** Why the tunnel is not up (e.g. the peer refused our key); absent when up. */
  reason: z.string().max(1024).optional(),
  /** Bytes received and sent through the tunnel's current child SAs. */
  bytesIn: z.number().int().min(0),
  bytesOut: z.number().int().min(0),
});
/** One tunnel's status. */
export type IpsecPeerStatus = z.infer<typeof ipsecPeerStatusSchema>;

/** How each load balancer container of a host serves its config (refusals carry HAProxy's own message). */
export const lbStatusSchema = z
  .array(
    z.strictObject({
      containerId: z.string().max(32),
      serviceId: z.string().max(32),
      configId: z.string().max(64).nullable(),
      error: z.string().max(8192).nullable(),
      warnings: z.array(z.string().max(1024)).max(64),
      /**
       * The newest network view (hostState version) the container's config was brought in line with;
       * a drain waits for it to pass the view its containers left in. Absent from older agents.
       */
      viewVersion: z.number().int().min(0).nullish(),
    }),
  )
  .max(1000);
/** Load balancer status of a host. */
export type LbStatus = z.infer<typeof lbStatusSchema>;

/** The IPsec part of hello and ping: the data plane in use and every tunnel. */
export const ipsecReportSchema = z.strictObject({
  /** kernel (xfrm ESP), userspace (strongSwan's libipsec over TUN), or none (cannot run). */
  dataPlane: z.enum(["kernel", "userspace", "none"]),
  /** Why the daemon is not running, when it is not. */
  error: z.string().max(1024).optional(),
  peers: z.array(ipsecPeerStatusSchema).max(1000),
});
/** The IPsec part of hello and ping. */
export type IpsecReport = z.infer<typeof ipsecReportSchema>;
