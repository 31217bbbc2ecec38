import { launchConfigSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import { z } from "zod";
import { parseInput } from "../services/input.ts";

const strings = z.array(z.string().max(4096)).max(1024).nullish();
const stringMap = z.record(z.string().max(4096), z.string().max(128 * 1024)).nullish();

/**
 * The body of `scripts/transform`: a container as `docker inspect` shows it (what Rancher 1.6's
 * rancher-compose makes of a docker-compose service). Unknown keys are Docker's and are ignored,
 * but every key read here is checked.
 */
const inspectSchema = z.looseObject({
  Name: z.string().max(256).nullish(),
  Config: z
    .looseObject({
      Hostname: z.string().max(253).nullish(),
      Domainname: z.string().max(253).nullish(),
      User: z.string().max(256).nullish(),
      Tty: z.boolean().nullish(),
      OpenStdin: z.boolean().nullish(),
      Env: strings,
      Cmd: strings,
      Entrypoint: strings,
      Image: z.string().max(512).nullish(),
      Volumes: z.record(z.string().max(1024), z.unknown()).nullish(),
      WorkingDir: z.string().max(1024).nullish(),
      Labels: stringMap,
      ExposedPorts: z.record(z.string().max(64), z.unknown()).nullish(),
      StopSignal: z.string().max(32).nullish(),
      StopTimeout: z.number().int().min(0).max(3600).nullish(),
    })
    .nullish(),
  HostConfig: z
    .looseObject({
      Binds: strings,
      LogConfig: z.looseObject({ Type: z.string().max(128).nullish(), Config: stringMap }).nullish(),
      PortBindings: z
        .record(
          z.string().max(64),
          z
            .array(
              z.looseObject({ HostIp: z.string().max(64).nullish(), HostPort: z.string().max(16).nullish() }),
            )
            .max(64)
            .nullish(),
        )
        .nullish(),
      RestartPolicy: z
        .looseObject({ Name: z.string().max(64).nullish(), MaximumRetryCount: z.number().int().nullish() })
        .nullish(),
      VolumesFrom: strings,
      CapAdd: strings,
      CapDrop: strings,
      Dns: strings,
      DnsSearch: strings,
      ExtraHosts: strings,
      Privileged: z.boolean().nullish(),
      CpuShares: z.number().int().min(0).nullish(),
      Memory: z.number().int().min(0).nullish(),
      MemoryReservation: z.number().int().min(0).nullish(),
      Devices: z
        .array(
          z.looseObject({
            PathOnHost: z.string().max(512),
            PathInContainer: z.string().max(512).nullish(),
            CgroupPermissions: z.string().max(8).nullish(),
          }),
        )
        .max(64)
        .nullish(),
      PidMode: z.string().max(160).nullish(),
      IpcMode: z.string().max(160).nullish(),
      UTSMode: z.string().max(160).nullish(),
      SecurityOpt: strings,
      ReadonlyRootfs: z.boolean().nullish(),
      ShmSize: z.number().int().min(0).nullish(),
      Ulimits: z.array(z.unknown()).max(64).nullish(),
      Sysctls: stringMap,
      Tmpfs: stringMap,
    })
    .nullish(),
});

/** Docker settings with a Rancher launch config name, applied only where this server's schema has it. */
const optional: [string, (h: z.infer<typeof inspectSchema>) => unknown][] = [
  ["pidMode", (d) => d.HostConfig?.PidMode || undefined],
  ["ipcMode", (d) => d.HostConfig?.IpcMode || undefined],
  ["utsMode", (d) => d.HostConfig?.UTSMode || undefined],
  ["securityOpt", (d) => (d.HostConfig?.SecurityOpt?.length ? d.HostConfig.SecurityOpt : undefined)],
  ["readOnly", (d) => d.HostConfig?.ReadonlyRootfs || undefined],
  ["shmSize", (d) => d.HostConfig?.ShmSize || undefined],
  ["ulimits", (d) => (d.HostConfig?.Ulimits?.length ? d.HostConfig.Ulimits : undefined)],
  [
    "sysctls",
    (d) =>
      d.HostConfig?.Sysctls && Object.keys(d.HostConfig.Sysctls).length ? d.HostConfig.Sysctls : undefined,
  ],
  [
    "tmpfs",
    (d) => (d.HostConfig?.Tmpfs && Object.keys(d.HostConfig.Tmpfs).length ? d.HostConfig.Tmpfs : undefined),
  ],
];

/**
 * Rancher's `scripts/transform`: turns a container in Docker's inspect shape into a launch config
 * (`imageUuid`, `command`, `ports`, `dataVolumes`, ...). Rancher 1.6's CLI converts each compose
 * service to Docker's shape on the client and asks the server for the launch config to create
 * the service with. A Docker setting this server cannot apply yet is refused by name, never
 * dropped in silence.
 */
export function dockerToLaunchConfig(body: unknown): Record<string, unknown> {
  const d = parseInput(inspectSchema, body);
  const config = d.Config ?? {};
  const host = d.HostConfig ?? {};
  if (!config.Image) throw new AppError("MissingRequired", "Config.Image: a container needs an image");
  const out: Record<string, unknown> = { type: "launchConfig", imageUuid: `docker:${config.Image}` };
  if (config.Cmd?.length) out.command = config.Cmd;
  if (config.Entrypoint?.length) out.entryPoint = config.Entrypoint;
  out.environment = Object.fromEntries(
    (config.Env ?? []).map((e) => {
      const at = e.indexOf("=");
      return at === -1 ? [e, ""] : [e.slice(0, at), e.slice(at + 1)];
    }),
  );
  out.labels = { ...(config.Labels ?? {}) };
  const ports: string[] = [];
  const bound = new Set<string>();
  for (const [key, bindings] of Object.entries(host.PortBindings ?? {})) {
    const [port, proto = "tcp"] = key.split("/");
    bound.add(`${port}/${proto}`);
    for (const b of bindings?.length ? bindings : [{}]) {
      const ip = b.HostIp && b.HostIp !== "0.0.0.0" ? `${b.HostIp}:` : "";
      const pub = b.HostPort ? `${b.HostPort}:` : "";
      ports.push(`${ip}${pub}${port}/${proto}`);
    }
  }
  out.ports = ports;
  out.expose = Object.keys(config.ExposedPorts ?? {})
    .map((k) => (k.includes("/") ? k : `${k}/tcp`))
    .filter((k) => !bound.has(k));
  out.dataVolumes = [...(host.Binds ?? []), ...Object.keys(config.Volumes ?? {})];
  if (host.VolumesFrom?.length) out.dataVolumesFrom = host.VolumesFrom;
  const copy = (key: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== "" && value !== 0 && value !== false)
      out[key] = value;
  };
  copy("workingDir", config.WorkingDir);
  copy("user", config.User);
  copy("hostname", config.Hostname);
  copy("domainName", config.Domainname);
  out.tty = config.Tty ?? false;
  out.stdinOpen = config.OpenStdin ?? false;
  out.privileged = host.Privileged ?? false;
  out.capAdd = host.CapAdd ?? [];
  out.capDrop = host.CapDrop ?? [];
  out.dns = host.Dns ?? [];
  out.dnsSearch = host.DnsSearch ?? [];
  out.extraHosts = host.ExtraHosts ?? [];
  out.devices = (host.Devices ?? []).map(
    (v) =>
      `${v.PathOnHost}:${v.PathInContainer || v.PathOnHost}${v.CgroupPermissions ? `:${v.CgroupPermissions}` : ""}`,
  );
  copy("memory", host.Memory);
  copy("memoryReservation", host.MemoryReservation);
  copy("cpuShares", host.CpuShares);
  copy("stopSignal", config.StopSignal);
  copy("stopTimeout", config.StopTimeout);
  // Rancher always answered a logConfig (its compose client writes into it); an empty driver is the
  // engine's default, and services drop it on create.
  out.logConfig = { driver: host.LogConfig?.Type ?? "", config: host.LogConfig?.Config ?? {} };
  if (host.RestartPolicy?.Name && host.RestartPolicy.Name !== "no")
    out.restartPolicy = {
      name: host.RestartPolicy.Name,
      ...(host.RestartPolicy.MaximumRetryCount
        ? { maximumRetryCount: host.RestartPolicy.MaximumRetryCount }
        : {}),
    };
  const known = launchConfigSchema.shape as Record<string, unknown>;
  const unsupported: string[] = [];
  for (const [key, read] of optional) {
    const value = read(d);
    if (value === undefined) continue;
    if (Object.hasOwn(known, key)) out[key] = value;
    else unsupported.push(key);
  }
  if (unsupported.length)
    throw new AppError("InvalidOption", `not supported yet in a launch config: ${unsupported.join(", ")}`, {
      detail: unsupported.map((field) => ({ field, rancherCode: "InvalidOption" })),
    });
  return out;
}
