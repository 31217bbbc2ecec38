/** Shapes of the public API's answers (Rancher API conventions), as far as the UI reads them. */

/** Any resource: id, type, state, links and actions, plus its own fields. */
export interface Resource {
  id: string;
  type: string;
  name: string | null;
  state: string;
  transitioning?: string;
  transitioningMessage?: string | null;
  created?: string;
  removed?: string | null;
  healthState?: string | null;
  links: Record<string, string>;
  actions: Record<string, string>;
}

/** A collection answer: the items in `data`. */
export interface Collection<T extends Resource = Resource> {
  type: "collection";
  resourceType: string;
  data: T[];
  links: Record<string, string>;
  actions?: Record<string, string>;
}

/** An environment. */
export interface Project extends Resource {
  description: string | null;
}

/** A stack of services. */
export interface Stack extends Resource {
  system: boolean;
  description: string | null;
  serviceIds: string[];
  dockerCompose?: string;
  rancherCompose?: string;
}

/** A service's launch configuration (the fields shown). */
export interface LaunchConfig {
  imageUuid?: string;
  command?: string[] | string;
  ports?: string[];
}

/** A service. */
export interface Service extends Resource {
  stackId: string;
  scale: number;
  currentScale?: number;
  kind: string;
  global?: boolean;
  launchConfig: LaunchConfig;
  schedulingMessage?: string | null;
}

/** A container. */
export interface Container extends Resource {
  serviceId?: string | null;
  stackId?: string | null;
  hostId?: string | null;
  imageUuid?: string;
  image?: string;
  primaryIpAddress?: string | null;
  ports?: string[];
  exitCode?: number | null;
  startCount?: number;
  command?: string[] | string | null;
  labels?: Record<string, string>;
}

/** What a host reports about itself. */
export interface HostInfo {
  hostname?: string;
  os?: string;
  kernel?: string;
  cpuCount?: number;
  cpuLoad?: number;
  memoryTotal?: number;
  memoryUsed?: number;
  /** Mounted filesystems, bytes. */
  disks?: { mount: string; size: number; used: number }[];
  dockerVersion?: string;
  /** The CorralOS build and its slots; null on other systems. */
  corralOs?: {
    version: string;
    slot: string | null;
    otherSlot: { slot: string; version: string | null } | null;
    lastBoot: { outcome: string; version?: string; reason?: string } | null;
  } | null;
}

/** A host's part in the last rolling OS upgrade. */
export interface HostOsUpgrade {
  state: string;
  target: string | null;
  reason?: string;
}

/** A host. */
export interface Host extends Resource {
  hostname: string;
  agentState: string | null;
  agentIpAddress: string | null;
  labels: Record<string, string>;
  info: HostInfo | null;
  osUpgrade?: HostOsUpgrade | null;
  /** The IPsec tunnel to each other host, as this host last reported it. */
  ipsecPeers?: IpsecTunnel[];
  ipsecDataPlane?: "kernel" | "userspace" | "none" | null;
}

/** One IPsec tunnel of a host: its state, why it is not up, and the bytes through it. */
export interface IpsecTunnel {
  hostId: string;
  agentIp: string;
  state: "up" | "connecting" | "down";
  reason?: string;
  bytesIn: number;
  bytesOut: number;
}

/** A registration token (with the command that joins a host). */
export interface RegistrationToken extends Resource {
  token: string;
  command: string;
  registrationUrl: string;
}

/** One problem the compose parser found, at its file, line and column. */
export interface ComposeIssue {
  file: string;
  line: number;
  column: number;
  path?: string;
  message: string;
}

/** The API's error body. */
export interface ErrorBody {
  type: "error";
  status: number;
  code: string;
  message: string;
  detail?: unknown;
}

/** A message on the event stream. */
export interface EventMessage {
  name: string;
  resourceType?: string;
  resourceId?: string;
  data?: { resource?: Resource };
}
