import { z } from "zod";

/**
 * `corral.upgrade` (RancherOS's `rancher.upgrade`): the release channel, and what "healthy" means
 * for a slot booted on trial. RancherOS's other keys (image, ...) are still accepted.
 */
export const upgradeSchema = z
  .object({
    /** The channel: a releases file's URL or path (`corral os list`, `corral os upgrade -i`). */
    url: z.string().optional(),
    /** Seconds after kernel start by which a slot on trial must be healthy (default 300). */
    health_timeout: z.number().int().min(30).max(86_400).optional(),
    /** More checks a slot on trial must pass: commands (sh -c text or argv) that must exit 0. */
    health: z.array(z.union([z.string(), z.array(z.string()).min(1)])).optional(),
  })
  .passthrough();
