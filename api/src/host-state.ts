import { z } from "zod";
import { healthCheckSchema } from "./stack.ts";

/**
 * The network view of one host: the environment's managed network, every container and service the
 * host's DNS and metadata answer about, the ports this host publishes, and the load balancers it
 * runs. The server sends it as a snapshot and then as changes (host-state-frames.ts); the agent
 * rebuilds the whole view from them (host-state-sync.ts), and each agent controller (network,
 * ports, dns, metadata, lb, ipsec) computes its whole desired state from the latest view and
 * applies it. `version` grows with every change.
 */

/** The environment's managed network and this host's slice of it. */
export const managedNetworkSchema = z.strictObject({
  /** The whole managed range, e.g. 10.42.0.0/16. */
  cidr: z.string(),
  /** This host's slice (a /24 of the range), from which its containers get their addresses. */
  hostSubnet: z.string(),
  /** The bridge address inside the slice (its first address), the containers' gateway. */
  gateway: z.string(),
  /** Name of the Docker bridge network the agent owns. */
  bridgeName: z.string(),
  mtu: z.number().int().min(576).max(9000).default(1500),
});

/** One container as DNS, metadata and the port controller see it. */
export const stateContainerSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  hostId: z.string(),
  /** Managed-network address, or the address Docker gave it. */
  ip: z.string().nullable(),
  state: z.string(),
  healthState: z.enum(["initializing", "healthy", "unhealthy"]).nullable(),
  stackName: z.string().nullable(),
  serviceName: z.string().nullable(),
  serviceId: z.string().nullable(),
  /** "" for a primary, the sidekick's name otherwise. */
  launchConfigName: z.string().nullable(),
  createIndex: z.number().int().nullable(),
  labels: z.record(z.string(), z.string()),
  /** Published ports ("[ip:]public:private/proto"), for the host's port controller and metadata. */
  ports: z.array(z.string()),
  /** Links of a standalone container: alias -> target container or service name. */
  links: z.record(z.string(), z.string()).default({}),
  /** The container's own extra DNS servers (`dns`), recursed first for its queries. */
  dns: z.array(z.string()).default([]),
  dnsSearch: z.array(z.string()).default([]),
});
/** One container of the environment. */
export type StateContainer = z.infer<typeof stateContainerSchema>;

/** One service as DNS and metadata see it. */
export const stateServiceSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  stackName: z.string(),
  kind: z.enum(["service", "externalService", "dnsService", "loadBalancerService"]),
  state: z.string(),
  healthState: z.string(),
  scale: z.number().int(),
  /** Links: alias (default the target's name) -> target service id. */
  links: z.array(z.strictObject({ serviceId: z.string(), alias: z.string() })),
  externalIpAddresses: z.array(z.string()),
  /** External service by hostname: answered as a CNAME. */
  hostname: z.string().nullable(),
  /** Sidekick names of the service. */
  sidekicks: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()),
  labels: z.record(z.string(), z.string()),
  /** For load balancers: the configuration, with certificate ids (PEM sent separately). */
  lbConfig: z.record(z.string(), z.unknown()).nullable(),
  /**
   * The primary launch config's health check: load balancers check targets on other hosts with it
   * (those containers travel summarised, without the health check label).
   */
  healthCheck: healthCheckSchema.nullable().optional(),
});
/** One service of the environment. */
export type StateService = z.infer<typeof stateServiceSchema>;

/** One host as metadata sees it. */
export const stateHostSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  agentIp: z.string(),
  hostSubnet: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  state: z.string(),
  agentState: z.string(),
});

/** A certificate a load balancer on this host serves (only sent to hosts that run such a balancer). */
export const stateCertificateSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  cert: z.string(),
  key: z.string(),
  certChain: z.string().nullable(),
});

/**
 * An ACME HTTP-01 challenge the environment's load balancers answer while a certificate is issued:
 * `GET /.well-known/acme-challenge/<token>` for `domain` on a plain-HTTP port returns
 * `keyAuthorization`. Both are base64url text (RFC 8555 8.1), checked so they are safe in haproxy.cfg.
 */
export const acmeChallengeSchema = z.strictObject({
  domain: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.-]+$/),
  token: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9_-]+$/),
  keyAuthorization: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[A-Za-z0-9_.-]+$/),
});
/** One pending HTTP-01 challenge. */
export type AcmeChallenge = z.infer<typeof acmeChallengeSchema>;

/** One other host this host keeps an IPsec tunnel to. */
export const ipsecPeerSchema = z.strictObject({
  hostId: z.string(),
  /** The peer's agent address: IKE and ESP go there, and it is the peer's IKE identity. */
  agentIp: z.string(),
  /** The peer's slice of the managed network (the tunnel's remote traffic selector). */
  subnet: z.string(),
});
/** One IPsec peer. */
export type IpsecPeer = z.infer<typeof ipsecPeerSchema>;

/**
 * The encrypted overlay as one host must run it: a tunnel to every other host of the environment
 * that has a slice. Only this environment's agents receive it, and the pre-shared keys are never
 * logged nor shown by the API.
 */
export const hostIpsecSchema = z.strictObject({
  /** This host's agent address (its IKE identity and the tunnels' local end). */
  localIp: z.string(),
  /** The environment's pre-shared key (base64 of 32+ random bytes): used to authenticate. */
  psk: z.string().min(16),
  /** The key before the last rotation, still accepted from peers that have not switched yet. */
  previousPsk: z.string().nullable(),
  peers: z.array(ipsecPeerSchema),
});
/** The IPsec part of a host's view. */
export type HostIpsec = z.infer<typeof hostIpsecSchema>;

/** The whole network view of one host, as the agent rebuilds it from the frames. */
export const hostStateSchema = z.strictObject({
  type: z.literal("hostState"),
  version: z.number().int().min(0),
  hostId: z.string(),
  environmentId: z.string(),
  network: managedNetworkSchema.nullable(),
  /** Port range for random public ports (servicesPortRange), default 49153-65535. */
  portRange: z.strictObject({ start: z.number().int(), end: z.number().int() }),
  containers: z.array(stateContainerSchema),
  services: z.array(stateServiceSchema),
  hosts: z.array(stateHostSchema),
  certificates: z.array(stateCertificateSchema),
  /** HTTP-01 challenges pending in the environment (only sent to hosts that run a load balancer). */
  acmeChallenges: z.array(acmeChallengeSchema).optional(),
  /** Upstream resolvers for names outside rancher.internal (the host's own when empty). */
  upstreamDns: z.array(z.string()),
  /** The IPsec tunnels this host keeps (absent or null: none, e.g. no slice yet). */
  ipsec: hostIpsecSchema.nullable().optional(),
});
/** The whole network view of one host. */
export type HostState = z.infer<typeof hostStateSchema>;
