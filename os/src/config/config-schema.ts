import { z } from "zod";
import { upgradeSchema } from "./upgrade-schema.ts";

/**
 * The one schema of CorralOS configuration: a RancherOS-compatible `#cloud-config`.
 *
 * The `corral:` key holds the OS settings; `rancher:` is read as its alias so RancherOS configs keep
 * working (both may appear; `corral:` wins key by key). Top-level keys are the cloud-init ones
 * RancherOS supported. Sections CorralOS implements are strict (a typo is an error with its
 * position); sections kept only for compatibility (engines, console, upgrade) accept any keys.
 */

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const loose = z.record(z.string(), z.unknown());
const stringList = z.array(z.string());
/** Text that the kernel command line may have typed as a number (`corral.agent.token=1234`). */
const text = z.union([z.string(), z.number().transform(String)]);

/**
 * One `cloud_init.datasources` entry, RancherOS's names: a drive (`configdrive[:dir]`, `nocloud`,
 * `proxmox`), `vmware[:guestinfo file]`, a cloud's metadata service (`ec2[:base url]`, ...),
 * `url:<url>`, `file:<path>`, or `*` for all of them.
 */
const datasourceSchema = z
  .string()
  .regex(
    /^(\*|(configdrive|nocloud|cidata|proxmox|vmware|ec2|gce|digitalocean|openstack|azure|packet|equinix|exoscale|aliyun|cloudstack)(:.+)?|(url|file):.+)$/,
    "not a datasource: configdrive, nocloud, proxmox, vmware, ec2, gce, digitalocean, openstack, azure, packet, equinix, exoscale, aliyun, cloudstack, url:<url>, file:<path> or *",
  );

/** One network interface (`corral.network.interfaces.<name|glob|mac:...>`). */
export const interfaceSchema = z
  .object({
    /** Which links this entry applies to, when the key is only a label (RancherOS `match`). */
    match: z.string().optional(),
    dhcp: z.boolean().optional(),
    /** IPv4 link-local addressing. */
    ipv4ll: z.boolean().optional(),
    // Typed as a number by YAML when written plain (`dhcp_args: -4`, `vlans: 100`): still text.
    dhcp_args: text.optional(),
    address: z.string().optional(),
    addresses: stringList.optional(),
    gateway: z.string().optional(),
    gateway_ipv6: z.string().optional(),
    mtu: z.number().int().min(68).max(65535).optional(),
    bridge: z.union([z.boolean(), z.string()]).optional(),
    bond: z.string().optional(),
    bond_opts: z.record(z.string(), scalar).optional(),
    vlans: text.optional(),
    pre_up: stringList.optional(),
    post_up: stringList.optional(),
    /** The `wifi_networks` entry (by name) this wireless interface joins. */
    wifi_network: text.optional(),
  })
  .strict();

const networkSchema = z
  .object({
    dns: z.object({ nameservers: stringList.optional(), search: stringList.optional() }).strict().optional(),
    interfaces: z.record(z.string(), interfaceSchema).optional(),
    pre_cmds: stringList.optional(),
    post_cmds: stringList.optional(),
    http_proxy: z.string().optional(),
    https_proxy: z.string().optional(),
    no_proxy: z.string().optional(),
    dhcp_timeout: z.number().int().positive().optional(),
    wifi_networks: loose.optional(),
    modem_networks: loose.optional(),
  })
  .strict();

const stateSchema = z
  .object({
    dev: z.string().optional(),
    fstype: z.string().optional(),
    wait: z.boolean().optional(),
    required: z.boolean().optional(),
    autoformat: stringList.optional(),
    directory: z.string().optional(),
    script: z.string().optional(),
    mdadm_scan: z.boolean().optional(),
    lvm_scan: z.boolean().optional(),
    cryptsetup: z.boolean().optional(),
    oem_dev: z.string().optional(),
    oem_fstype: z.string().optional(),
    boot_dev: z.string().optional(),
    boot_fstype: z.string().optional(),
    rngd: z.boolean().optional(),
  })
  .strict();

/** What sits under `corral:` (or `rancher:`). */
export const osSectionSchema = z
  .object({
    debug: z.boolean().optional(),
    recovery: z.boolean().optional(),
    /** The system slot this boot came from, set on the command line by an installed disk's GRUB. */
    slot: z.enum(["A", "B"]).optional(),
    environment: z.record(z.string(), scalar).optional(),
    modules: stringList.optional(),
    sysctl: z.record(z.string(), scalar).optional(),
    state: stateSchema.optional(),
    network: networkSchema.optional(),
    services_include: z.record(z.string(), z.boolean()).optional(),
    services: z.record(z.string(), loose).optional(),
    disable: stringList.optional(),
    restart_services: stringList.optional(),
    cloud_init: z
      .object({ datasources: z.array(datasourceSchema).optional() })
      .strict()
      .optional(),
    ssh: z
      .object({
        keys: z.record(z.string(), z.string()).optional(),
        daemon: z.boolean().optional(),
        port: z.number().int().min(1).max(65535).optional(),
        listen_address: z.string().optional(),
      })
      .strict()
      .optional(),
    agent: z
      .object({
        url: text.optional(),
        token: text.optional(),
        /** SHA-256 of the server's CA bundle (the registration command's checksum), for https URLs. */
        ca_checksum: text.optional(),
        labels: z.record(z.string(), scalar).optional(),
      })
      .strict()
      .optional(),
    server: z
      .object({
        enabled: z.boolean().optional(),
        /** Plain HTTP (API for loopback clients only, a redirect to HTTPS for others): 8080. */
        port: z.number().int().optional(),
        /** HTTPS for everyone: 8443. */
        https_port: z.number().int().min(1).max(65535).optional(),
        /** Plain HTTP serves the API to every address, not only loopback. */
        insecure_http: z.boolean().optional(),
        /** More names and addresses for the generated server certificate. */
        tls_sans: stringList.optional(),
        /** The operator's certificate (then its chain), key and CA, as paths under /var/lib/corral. */
        tls_cert: z.string().optional(),
        tls_key: z.string().optional(),
        tls_ca: z.string().optional(),
      })
      .strict()
      .optional(),
    shutdown_timeout: z.number().int().min(0).optional(),
    hypervisor_service: z.boolean().optional(),
    resize_device: z.string().optional(),
    /** Wait for the preloaded images to be loaded before starting the services that use them. */
    preload_wait: z.boolean().optional(),
    /** Retries when a datasource or service file is fetched over HTTP. */
    http_load_retries: z.number().int().min(0).optional(),
    // RancherOS boot switches CorralOS's boot does not need: read so old configs still validate.
    rm_usr: z.boolean().optional(),
    no_sharedroot: z.boolean().optional(),
    log: z.boolean().optional(),
    force_console_rebuild: z.boolean().optional(),
    /** The console to run (`corral console enable|switch`): a system service with that `console:`. */
    console: z.string().optional(),
    autoformat: loose.optional(),
    // Kept for RancherOS compatibility: read, exported, not interpreted by CorralOS.
    docker: loose.optional(),
    system_docker: loose.optional(),
    bootstrap_docker: loose.optional(),
    upgrade: upgradeSchema.optional(),
    repositories: loose.optional(),
    registry_auths: loose.optional(),
    defaults: loose.optional(),
    bootstrap: loose.optional(),
    cloud_init_services: loose.optional(),
  })
  .strict();

/** One `write_files` entry; `encoding` as cloud-init: b64/base64, gzip/gz, gz+b64 and friends. */
export const writeFileSchema = z
  .object({
    path: z.string().startsWith("/", "write_files paths are absolute"),
    content: z.string().default(""),
    encoding: z
      .enum(["b64", "base64", "gzip", "gz", "gz+base64", "gzip+base64", "gz+b64", "gzip+b64", "text/plain"])
      .optional(),
    permissions: z
      .union([z.string().regex(/^0?[0-7]{3,4}$/, "permissions are octal like '0644'"), z.number()])
      .optional(),
    owner: z.string().optional(),
    container: z.string().optional(),
    append: z.boolean().optional(),
  })
  .strict();

/** A command as cloud-init takes it: a shell line, or an argv list. */
const commandSchema = z.union([z.string(), z.array(z.string())]);

/** The whole cloud-config document. */
export const cloudConfigSchema = z
  .object({
    hostname: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, "not a valid hostname")
      .optional(),
    ssh_authorized_keys: stringList.optional(),
    write_files: z.array(writeFileSchema).optional(),
    runcmd: z.array(commandSchema).optional(),
    bootcmd: z.array(commandSchema).optional(),
    mounts: z.array(z.array(z.string()).min(1).max(6)).optional(),
    // `rancher:` written with nothing under it (all its keys commented out) is an empty section.
    corral: osSectionSchema.nullable().optional(),
    rancher: osSectionSchema.nullable().optional(),
  })
  .strict();

/** A validated cloud-config as written (may still carry `rancher:`). */
export type CloudConfig = z.output<typeof cloudConfigSchema>;
/** A normalized config: the `rancher:` alias folded into `corral:`. */
export type CorralConfig = Omit<CloudConfig, "rancher">;
