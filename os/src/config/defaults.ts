import type { CorralConfig } from "./config-schema.ts";

/** Where CorralOS keeps configuration, relative to the root (RancherOS used /var/lib/rancher/conf). */
export const configPaths = {
  oem: "/usr/share/corral/os-config.yml",
  confDir: "/var/lib/corral/conf",
  dropInDir: "/var/lib/corral/conf/cloud-config.d",
  user: "/var/lib/corral/conf/cloud-config.yml",
  cmdline: "/proc/cmdline",
} as const;

/**
 * The built-in layer, below everything else. DHCP on every ethernet interface, as RancherOS did, so
 * a machine with no config at all is reachable; the state device is looked up by label.
 */
export const builtinDefaults: CorralConfig = {
  corral: {
    network: { interfaces: { "eth*": { dhcp: true } } },
    state: { dev: "LABEL=CORRAL_STATE", fstype: "ext4", wait: false, required: false, autoformat: [] },
    cloud_init: { datasources: ["configdrive", "nocloud"] },
    services_include: {},
    shutdown_timeout: 30,
  },
};
