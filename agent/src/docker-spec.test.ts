import { describe, expect, test } from "bun:test";
import { healthCheckSchema, type InstanceSpec, labelKeys } from "@corral/api";
import { deviceMapping, exposedPorts, normalizeImage, splitVolumes, toCreateOptions } from "./docker-spec.ts";
import {
  isCapabilityRefusal,
  parseCapBnd,
  privilegedEquivalent,
  processCapabilities,
  splitCapabilities,
} from "./privileged.ts";

const base: InstanceSpec = {
  containerId: "1i7",
  projectId: "1a5",
  name: "web",
  image: "corral/busybox",
  environment: {},
  labels: {},
  ports: [],
  volumes: [],
  networkMode: "managed",
  tty: false,
  stdinOpen: false,
  pullPolicy: "missing",
};

describe("docker spec translation", () => {
  test("named volumes with a template become volume mounts with the driver and its options", () => {
    const opts = toCreateOptions(
      {
        ...base,
        volumes: ["/h:/c", "data:/d:ro,nocopy", "own:/o", "plain:/p"],
        volumeDriver: "local",
        volumeTemplates: {
          data: { driver: "local", driverOpts: { type: "tmpfs", device: "tmpfs" }, perContainer: false },
          own: { driver: "local", driverOpts: {}, perContainer: true },
        },
      },
      "1h1",
    );
    expect(opts.HostConfig?.Binds).toEqual(["/h:/c", "plain:/p"]);
    expect(opts.HostConfig?.VolumeDriver).toBe("local");
    expect(opts.HostConfig?.Mounts).toEqual([
      {
        Type: "volume",
        Source: "data",
        Target: "/d",
        ReadOnly: true,
        VolumeOptions: {
          NoCopy: true,
          Labels: {},
          DriverConfig: { Name: "local", Options: { type: "tmpfs", device: "tmpfs" } },
        },
      },
      {
        Type: "volume",
        Source: "own_web",
        Target: "/o",
        ReadOnly: false,
        VolumeOptions: { NoCopy: false, Labels: {}, DriverConfig: { Name: "local", Options: {} } },
      },
    ]);
    expect(toCreateOptions(base, "1h1").HostConfig?.Mounts).toBeUndefined();
  });

  test("normalizeImage strips docker: and adds latest only when no tag", () => {
    expect(normalizeImage("docker:nginx")).toBe("nginx:latest");
    expect(normalizeImage("nginx:1.25")).toBe("nginx:1.25");
    expect(normalizeImage("registry:5000/app")).toBe("registry:5000/app:latest");
    expect(normalizeImage("app@sha256:abc")).toBe("app@sha256:abc");
  });

  test("splitVolumes tells binds, named volumes and anonymous volumes apart", () => {
    expect(splitVolumes(["/h:/c", "/h2:/c2:ro", "data:/d", "/anon", "/anon2:ro"])).toEqual({
      binds: ["/h:/c", "/h2:/c2:ro", "data:/d"],
      anonymous: { "/anon": {}, "/anon2": {} },
    });
  });

  test("toCreateOptions maps every field", () => {
    const options = toCreateOptions(
      {
        containerId: "1i7",
        projectId: "1a5",
        name: "web",
        image: "docker:corral/busybox",
        command: ["httpd", "-f"],
        entryPoint: ["/bin/sh", "-c"],
        environment: { A: "1" },
        labels: { app: "web" },
        ports: [
          { privatePort: 80, publicPort: 0, protocol: "tcp" },
          { privatePort: 53, publicPort: 5353, protocol: "udp", bindAddress: "127.0.0.1" },
        ],
        volumes: ["/data"],
        restartPolicy: { name: "on-failure", maximumRetryCount: 3 },
        networkMode: "managed",
        workingDir: "/w",
        user: "root",
        hostname: "h1",
        tty: true,
        stdinOpen: true,
        memory: 64 * 1024 * 1024,
        cpuShares: 512,
        pullPolicy: "missing",
      },
      "1h2",
    );
    expect(options).toMatchObject({
      name: "web",
      Image: "corral/busybox:latest",
      Cmd: ["httpd", "-f"],
      Entrypoint: ["/bin/sh", "-c"],
      Env: ["A=1"],
      Labels: {
        app: "web",
        [labelKeys.containerId]: "1i7",
        [labelKeys.projectId]: "1a5",
        [labelKeys.hostId]: "1h2",
      },
      ExposedPorts: { "80/tcp": {}, "53/udp": {} },
      Volumes: { "/data": {} },
      WorkingDir: "/w",
      User: "root",
      Hostname: "h1",
      Tty: true,
      OpenStdin: true,
      HostConfig: {
        NetworkMode: "bridge",
        PortBindings: { "80/tcp": [{ HostPort: "" }], "53/udp": [{ HostPort: "5353", HostIp: "127.0.0.1" }] },
        RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
        Memory: 64 * 1024 * 1024,
        CpuShares: 512,
      },
    });
  });
});

describe("docker spec: the richer fields", () => {
  test("maps volumesFrom, expose, domain, privileged, caps, devices, dns, hosts, logging, stop and health", () => {
    const healthCheck = healthCheckSchema.parse({ port: 80, requestLine: "GET / HTTP/1.0" });
    const options = toCreateOptions(
      {
        ...base,
        volumesFrom: ["data-1", "conf-1:ro"],
        expose: ["8080", "53/udp", "9000-9002/tcp"],
        domainName: "example.com",
        privileged: true,
        capAdd: ["NET_ADMIN"],
        capDrop: ["MKNOD"],
        devices: ["/dev/fuse", "/dev/sda:/dev/xvda:r"],
        dns: ["10.0.0.1"],
        dnsSearch: ["example.com"],
        extraHosts: ["db:10.0.0.9"],
        logConfig: { driver: "json-file", config: { "max-size": "10m" } },
        stopSignal: "SIGINT",
        stopTimeout: 30,
        healthCheck,
      },
      "1h2",
    );
    expect(options).toMatchObject({
      Domainname: "example.com",
      StopSignal: "SIGINT",
      StopTimeout: 30,
      ExposedPorts: { "8080/tcp": {}, "53/udp": {}, "9000/tcp": {}, "9001/tcp": {}, "9002/tcp": {} },
      HostConfig: {
        VolumesFrom: ["data-1", "conf-1:ro"],
        Privileged: true,
        CapAdd: ["NET_ADMIN"],
        CapDrop: ["MKNOD"],
        Devices: [
          { PathOnHost: "/dev/fuse", PathInContainer: "/dev/fuse", CgroupPermissions: "rwm" },
          { PathOnHost: "/dev/sda", PathInContainer: "/dev/xvda", CgroupPermissions: "r" },
        ],
        Dns: ["10.0.0.1"],
        DnsSearch: ["example.com"],
        ExtraHosts: ["db:10.0.0.9"],
        LogConfig: { Type: "json-file", Config: { "max-size": "10m" } },
      },
    });
    // The label round-trips to the same check, defaults included.
    const label = options.Labels?.[labelKeys.healthCheck] ?? "";
    expect(healthCheckSchema.parse(JSON.parse(label))).toEqual(healthCheck);
  });

  test("absent optional fields leave Docker's defaults alone", () => {
    const options = toCreateOptions(base, "1h2");
    expect(options.Labels?.[labelKeys.healthCheck]).toBeUndefined();
    for (const key of ["VolumesFrom", "Privileged", "CapAdd", "Devices", "Dns", "ExtraHosts", "LogConfig"])
      expect(options.HostConfig).not.toHaveProperty(key);
    expect(options).not.toHaveProperty("StopTimeout");
    expect(options).not.toHaveProperty("Domainname");
  });

  test("network modes: managed is bridge, container:<name> passes through without what Docker refuses", () => {
    expect(toCreateOptions(base, "h").HostConfig?.NetworkMode).toBe("bridge");
    const joined = toCreateOptions(
      {
        ...base,
        networkMode: "container:web-primary",
        hostname: "h",
        expose: ["80"],
        dns: ["10.0.0.1"],
        dnsSearch: ["x"],
        extraHosts: ["a:1.2.3.4"],
      },
      "h",
    );
    expect(joined.HostConfig?.NetworkMode).toBe("container:web-primary");
    expect(joined.ExposedPorts).toEqual({});
    expect(joined).not.toHaveProperty("Hostname");
    for (const key of ["Dns", "DnsSearch", "ExtraHosts"]) expect(joined.HostConfig).not.toHaveProperty(key);
    expect(toCreateOptions({ ...base, networkMode: "host" }, "h").HostConfig?.NetworkMode).toBe("host");
  });

  test("host namespaces, confinement and limits reach HostConfig as given", () => {
    const options = toCreateOptions(
      {
        ...base,
        hostname: "h",
        pidMode: "host",
        ipcMode: "shareable",
        uts: "host",
        securityOpt: ["no-new-privileges"],
        ulimits: [{ name: "nofile", soft: 1024, hard: 2048 }],
        sysctls: { "net.core.somaxconn": "512" },
        tmpfs: { "/run": "size=8m", "/scratch": "" },
        shmSize: 128 * 1024 * 1024,
        readOnly: true,
      },
      "h",
    );
    expect(options.HostConfig).toMatchObject({
      PidMode: "host",
      IpcMode: "shareable",
      UTSMode: "host",
      SecurityOpt: ["no-new-privileges"],
      Ulimits: [{ Name: "nofile", Soft: 1024, Hard: 2048 }],
      Sysctls: { "net.core.somaxconn": "512" },
      Tmpfs: { "/run": "size=8m", "/scratch": "" },
      ShmSize: 128 * 1024 * 1024,
      ReadonlyRootfs: true,
    });
    // Docker refuses a hostname in the host's UTS namespace.
    expect(options).not.toHaveProperty("Hostname");
    const plain = toCreateOptions(base, "h").HostConfig;
    for (const key of [
      "PidMode",
      "IpcMode",
      "UTSMode",
      "SecurityOpt",
      "Ulimits",
      "Sysctls",
      "Tmpfs",
      "ShmSize",
    ])
      expect(plain).not.toHaveProperty(key);
    expect(plain).not.toHaveProperty("ReadonlyRootfs");
  });

  test("expose and device syntax, and clear errors for bad entries", () => {
    expect(exposedPorts(["80/UDP"])).toEqual({ "80/udp": {} });
    expect(deviceMapping("/dev/kvm:rw")).toEqual({
      PathOnHost: "/dev/kvm",
      PathInContainer: "/dev/kvm",
      CgroupPermissions: "rw",
    });
    expect(deviceMapping("/dev/a:/dev/b")).toMatchObject({
      PathInContainer: "/dev/b",
      CgroupPermissions: "rwm",
    });
    for (const bad of ["http", "0", "70000", "90-80", "80/icmp"])
      expect(() => exposedPorts([bad])).toThrow(/invalid expose/);
    for (const bad of ["dev/x", "/dev/x:/dev/y:rwx", "/dev/x:/y:rw:extra", "/dev/x:rr"])
      expect(() => deviceMapping(bad)).toThrow(/invalid device/);
  });
});

describe("privileged where Docker cannot grant it", () => {
  test("capabilities come from the CapBnd mask, up to the kernel's last one", () => {
    const status = "Name:\tbun\nCapPrm:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0\n";
    const mask = parseCapBnd(status);
    expect(mask).toBe(0x1fffeffffffn);
    const { present, missing } = splitCapabilities(mask!, 40);
    expect(missing).toEqual(["CAP_SYS_RESOURCE"]);
    expect(present).toHaveLength(40);
    expect(present).toContain("CAP_SYS_ADMIN");
    expect(splitCapabilities(0x3n, 1)).toEqual({ present: ["CAP_CHOWN", "CAP_DAC_OVERRIDE"], missing: [] });
    expect(parseCapBnd("Name: x")).toBeNull();
    const own = processCapabilities();
    expect(own.present.length + own.missing.length).toBeGreaterThan(30);
  });

  test("the equivalent: all but the missing capabilities, unconfined, every device, cgroups writable", () => {
    const hostConfig = privilegedEquivalent(
      { Privileged: true, CapDrop: ["MKNOD"], Binds: ["/h:/c"], SecurityOpt: ["label=disable"] },
      ["CAP_SYS_RESOURCE"],
    );
    expect(hostConfig).toEqual({
      Privileged: false,
      CapAdd: ["ALL"],
      CapDrop: ["CAP_SYS_RESOURCE"],
      SecurityOpt: ["label=disable", "seccomp=unconfined", "apparmor=unconfined"],
      MaskedPaths: [],
      ReadonlyPaths: [],
      DeviceCgroupRules: ["a *:* rwm"],
      Binds: ["/h:/c", "/sys/fs/cgroup:/sys/fs/cgroup:rw"],
    });
    // A user's own bind of /sys/fs/cgroup is kept rather than doubled.
    expect(privilegedEquivalent({ Binds: ["/sys/fs/cgroup:/sys/fs/cgroup:ro"] }, []).Binds).toEqual([
      "/sys/fs/cgroup:/sys/fs/cgroup:ro",
    ]);
  });

  test("recognises runc's capability refusal", () => {
    const refusal = {
      statusCode: 400,
      json: {
        message:
          "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown",
      },
    };
    expect(isCapabilityRefusal(refusal)).toBe(true);
    expect(isCapabilityRefusal({ json: { message: 'exec: "/x": stat /x: no such file or directory' } })).toBe(
      false,
    );
  });
});
