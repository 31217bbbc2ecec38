import type { launchConfigSchema, ServiceLink, serviceSpecSchema } from "@corral/api";
import type { z } from "zod";
import type { Located } from "./issues.ts";
import type { LegacyLbDraft } from "./legacy-lb.ts";
import type { YNode } from "./yaml-tree.ts";

/** A launch config under construction; zod fills the defaults at the end. */
export type LaunchDraft = Partial<z.input<typeof launchConfigSchema>>;

/** A reference to another service, with the node that names it (for errors). */
export interface Ref {
  name: string;
  node: YNode;
}

/** A link under construction. */
export interface LinkRef extends Ref {
  alias?: string;
}

/** One docker-compose service, converted but not yet folded into units or checked against others. */
export interface Draft {
  name: string;
  /** The service's key in the file (position) and its path. */
  at: Located;
  lc: LaunchDraft;
  image?: string;
  links: LinkRef[];
  externalLinks: ServiceLink[];
  dependsOn: Ref[];
  volumesFrom: Ref[];
  /** `network_mode: container:x` / `service:x`. */
  networkRef?: Ref;
  scale?: number;
  global?: boolean;
  upgrade?: { batchSize?: number; intervalMillis?: number; startFirst?: boolean };
  /** Names from the `io.rancher.sidekicks` label. */
  sidekicks?: Ref[];
  dockerHealthcheck: boolean;
  /** Where `labels:` is (errors about label values point there). */
  labelsAt?: Located;
  /** Set for a 1.x load balancer (`image: rancher/load-balancer-service`): its raw ports. */
  legacyLb?: LegacyLbDraft;
  /** Where `build:` was given: with an image it is a warning, alone an error (no "no image" too). */
  build?: Located;
}

/** A service of the final spec under construction. */
export type ServiceDraft = z.input<typeof serviceSpecSchema>;

/** A complete launch config before defaults. */
export type LaunchInput = z.input<typeof launchConfigSchema>;
