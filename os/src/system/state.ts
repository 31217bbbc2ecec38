import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CorralConfig } from "../config/config-schema.ts";
import { findByLabel, isBlank, listBlockDevices } from "./block-devices.ts";
import type { Host } from "./host.ts";
import { mountedPoints } from "./mounts.ts";

/** Where the state partition is mounted. */
export const stateMount = "/var/lib/corral-state";
/** Labels recognized as state, CorralOS's own first; RANCHER_STATE so installed RancherOS disks boot. */
export const stateLabels = ["CORRAL_STATE", "RANCHER_STATE"];
/**
 * Directories kept on the state partition and bound over the RAM root. User Docker's data root is
 * /var/lib/user-docker on the host (system-services/user-docker); /var/lib/docker is kept too, as
 * RancherOS did, for anything that uses the conventional path.
 */
export const persistentDirs = [
  "var/lib/corral",
  "var/lib/user-docker",
  "var/lib/docker",
  "var/lib/system-docker",
  "home",
  "opt",
  "etc/ssh",
];

/** What the state phase did, for the timeline and `corral os status`. */
export type StateResult = { mode: "ram" } | { mode: "disk"; device: string; formatted: boolean };

/** The device named by `corral.state.dev` (`LABEL=X`, or a path), else any state label. */
function locate(config: CorralConfig, devices: string[]): string | undefined {
  const dev = config.corral?.state?.dev;
  if (dev?.startsWith("LABEL=")) return findByLabel([dev.slice(6), ...stateLabels], devices);
  if (dev?.startsWith("/")) return devices.includes(dev) ? dev : findByLabel(stateLabels, devices);
  return findByLabel(stateLabels, devices);
}

/**
 * Finds and mounts the state partition, autoformatting a blank listed disk first (RancherOS
 * semantics: only disks whose first MiB is zero are formatted, so data is never destroyed). With
 * no state device everything stays in RAM, unless `corral.state.required` makes that an error.
 */
export async function setupState(
  host: Host,
  config: CorralConfig,
  devices = listBlockDevices(host.root),
): Promise<StateResult> {
  let device = locate(config, devices);
  let formatted = false;
  if (!device) {
    const blank = (config.corral?.state?.autoformat ?? [])
      .map((d) => join(host.root, d))
      .find((d) => isBlank(d));
    if (blank) {
      await host.run("mkfs.ext4", ["-F", "-q", "-L", "CORRAL_STATE", blank], { timeoutMs: 300_000 });
      device = blank;
      formatted = true;
    }
  }
  if (!device) {
    if (config.corral?.state?.required)
      throw new Error(
        "no state partition (labelled CORRAL_STATE or RANCHER_STATE) and corral.state.required is set",
      );
    return { mode: "ram" };
  }
  const target = join(host.root, stateMount);
  mkdirSync(target, { recursive: true });
  if (!mountedPoints(host).has(stateMount)) {
    await host.run("mount", ["-t", config.corral?.state?.fstype ?? "ext4", device, stateMount]);
  }
  for (const dir of persistentDirs) {
    mkdirSync(join(target, dir), { recursive: true });
    mkdirSync(join(host.root, dir), { recursive: true });
    if (!mountedPoints(host).has(`/${dir}`))
      await host.run("mount", ["--bind", join(stateMount, dir), `/${dir}`]);
  }
  if (formatted) writeFileSync(join(target, ".corral-formatted"), `${new Date().toISOString()}\n`);
  return { mode: "disk", device, formatted };
}
