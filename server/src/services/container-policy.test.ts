import { describe, expect, test } from "bun:test";
import {
  type ContainerPolicy,
  containerPolicySchema,
  defaultContainerPolicy,
  type LaunchConfig,
  launchConfigSchema,
  permissiveContainerPolicy,
} from "@corral/api";
import { AppError } from "@corral/lib";
import {
  assertAllowed,
  hostBinds,
  isUnder,
  policyViolations,
  projectPolicy,
  serviceViolations,
  stackVolumeViolations,
} from "./container-policy.ts";

const lc = (fields: Partial<LaunchConfig>): LaunchConfig =>
  launchConfigSchema.parse({ imageUuid: "docker:busybox", ...fields });
const policy = (rules: Partial<ContainerPolicy>): ContainerPolicy => containerPolicySchema.parse(rules);
const rulesOf = (p: ContainerPolicy, fields: Partial<LaunchConfig>) =>
  policyViolations(p, lc(fields)).map((v) => `${v.field}:${v.policy}`);

/** Every way a launch config can reach into its host, one field each. */
const hostAccess: [Partial<LaunchConfig>, string][] = [
  [{ privileged: true }, "privileged:allowPrivileged"],
  [{ networkMode: "host" }, "networkMode:allowHostNetwork"],
  [{ pidMode: "host" }, "pidMode:allowHostPid"],
  [{ ipcMode: "host" }, "ipcMode:allowHostIpc"],
  [{ uts: "host" }, "uts:allowHostUts"],
  [{ dataVolumes: ["/:/host"] }, "dataVolumes[0]:allowedHostPaths"],
  [{ dataVolumes: ["/var/run/docker.sock:/var/run/docker.sock"] }, "dataVolumes[0]:allowedHostPaths"],
  [{ capAdd: ["SYS_ADMIN"] }, "capAdd[0]:allowedCapabilities"],
  [{ devices: ["/dev/mem"] }, "devices[0]:allowedDevices"],
  [{ securityOpt: ["seccomp=unconfined"] }, "securityOpt[0]:allowSecurityOptOverrides"],
  [{ securityOpt: ["apparmor=unconfined"] }, "securityOpt[0]:allowSecurityOptOverrides"],
  [{ securityOpt: ["apparmor:docker-custom"] }, "securityOpt[0]:allowSecurityOptOverrides"],
  [{ securityOpt: ["label=disable"] }, "securityOpt[0]:allowSecurityOptOverrides"],
  [{ securityOpt: ["systempaths=unconfined"] }, "securityOpt[0]:allowSecurityOptOverrides"],
];

describe("container policy", () => {
  test("the default refuses each way into the host, naming the field and the rule", () => {
    for (const [fields, expected] of hostAccess)
      expect(rulesOf(defaultContainerPolicy, fields)).toEqual([expected]);
  });

  test("the permissive policy refuses nothing", () => {
    for (const [fields] of hostAccess) expect(rulesOf(permissiveContainerPolicy, fields)).toEqual([]);
  });

  test("a plain container passes the default: named and anonymous volumes, tmpfs, limits, tightening options", () => {
    expect(
      rulesOf(defaultContainerPolicy, {
        dataVolumes: ["data:/data", "/anon", "/anon2:ro"],
        capDrop: ["ALL"],
        securityOpt: ["no-new-privileges", "no-new-privileges:true"],
        readOnly: true,
        tmpfs: { "/run": "" },
        sysctls: { "net.core.somaxconn": "512" },
        ulimits: [{ name: "nofile", soft: 10, hard: 10 }],
        ipcMode: "shareable",
        networkMode: "container:web",
      }),
    ).toEqual([]);
  });

  test("each allow rule opens only its own door", () => {
    expect(rulesOf(policy({ allowPrivileged: true }), { privileged: true, networkMode: "host" })).toEqual([
      "networkMode:allowHostNetwork",
    ]);
    expect(
      rulesOf(policy({ allowHostPid: true }), { pidMode: "host", ipcMode: "host", uts: "host" }),
    ).toEqual(["ipcMode:allowHostIpc", "uts:allowHostUts"]);
  });

  test("host paths: prefixes at path boundaries, normalised sources, read-only rules", () => {
    const p = policy({
      allowedHostPaths: [
        { pathPrefix: "/srv/data", readOnly: false },
        { pathPrefix: "/etc/ssl/", readOnly: true },
      ],
    });
    expect(
      rulesOf(p, { dataVolumes: ["/srv/data:/d", "/srv/data/x:/x:rw", "/etc/ssl/certs:/c:ro"] }),
    ).toEqual([]);
    expect(
      rulesOf(p, {
        dataVolumes: ["/srv/data2:/d", "/srv/data/../../etc:/e", "/etc/ssl:/c", "/etc/sslx:/c:ro"],
      }),
    ).toEqual([
      "dataVolumes[0]:allowedHostPaths",
      "dataVolumes[1]:allowedHostPaths",
      "dataVolumes[2]:allowedHostPaths",
      "dataVolumes[3]:allowedHostPaths",
    ]);
    const [ro] = policyViolations(p, lc({ dataVolumes: ["/etc/ssl/certs:/c"] }));
    expect(ro?.message).toContain("allowed read-only only");
    expect(isUnder("/anything", "/")).toBe(true);
    expect(hostBinds(["/a:/b:ro,z", "vol:/x", "/c"])).toEqual([{ index: 0, source: "/a", readOnly: true }]);
  });

  test("capabilities compare as Docker reads them; ALL only when allowed", () => {
    const p = policy({ allowedCapabilities: ["net_admin", "CAP_SYS_TIME"] });
    expect(rulesOf(p, { capAdd: ["NET_ADMIN", "cap_net_admin", "SYS_TIME"] })).toEqual([]);
    expect(rulesOf(p, { capAdd: ["ALL", "SYS_ADMIN"] })).toEqual([
      "capAdd[0]:allowedCapabilities",
      "capAdd[1]:allowedCapabilities",
    ]);
    expect(rulesOf(policy({ allowedCapabilities: ["ALL"] }), { capAdd: ["ALL", "SYS_ADMIN"] })).toEqual([]);
  });

  test("devices: allowed paths and folders, whatever the container side", () => {
    const p = policy({ allowedDevices: ["/dev/fuse", "/dev/snd"] });
    expect(rulesOf(p, { devices: ["/dev/fuse", "/dev/snd/pcmC0D0p:/dev/x:rw"] })).toEqual([]);
    expect(rulesOf(p, { devices: ["/dev/mem:/dev/fuse", "/dev/fuse2", "/dev/snd/../mem"] })).toEqual([
      "devices[0]:allowedDevices",
      "devices[1]:allowedDevices",
      "devices[2]:allowedDevices",
    ]);
  });

  test("services: the primary and each sidekick, named in the message", () => {
    const found = serviceViolations(defaultContainerPolicy, {
      name: "web",
      launchConfig: lc({ privileged: true }),
      secondaryLaunchConfigs: [lc({}), lc({ devices: ["/dev/mem"] })],
    });
    expect(found.map((v) => v.field)).toEqual([
      "launchConfig.privileged",
      "secondaryLaunchConfigs[1].devices[0]",
    ]);
    expect(found[0]?.message).toStartWith(
      "service web: launchConfig.privileged: a privileged container is refused",
    );
  });

  test("stack volumes that bind a host folder are host paths too", () => {
    const volumes = {
      root: {
        driver: "local",
        driverOpts: { type: "none", o: "bind", device: "/" },
        external: false,
        perContainer: false,
      },
      plain: { driver: "local", driverOpts: {}, external: false, perContainer: false },
    };
    expect(stackVolumeViolations(defaultContainerPolicy, volumes).map((v) => v.field)).toEqual([
      "volumes.root.driver_opts.device",
    ]);
    expect(stackVolumeViolations(permissiveContainerPolicy, volumes)).toEqual([]);
  });

  test("a refusal is one 422 listing every field; a stored policy that does not parse is the default", () => {
    let error: unknown;
    try {
      assertAllowed(
        policyViolations(defaultContainerPolicy, lc({ privileged: true, devices: ["/dev/mem"] })),
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("InvalidOption");
    expect((error as AppError).message).toContain("(allowPrivileged)");
    expect((error as AppError).message).toContain("(and 1 more)");
    expect(() => assertAllowed([])).not.toThrow();
    expect(projectPolicy({})).toEqual(defaultContainerPolicy);
    expect(projectPolicy({ containerPolicy: { allowPrivileged: "yes" } })).toEqual(defaultContainerPolicy);
    expect(projectPolicy({ containerPolicy: permissiveContainerPolicy })).toEqual(permissiveContainerPolicy);
  });
});
