import { describe, expect, test } from "bun:test";
import { AppError } from "@corral/lib";
import { exportStack, parseStack } from "./index.ts";

const compose = (keys: string): string => `services:\n  a:\n    image: x\n${keys}`;

/** The problems a refused file reports, one text each. */
function problems(text: string): string[] {
  try {
    parseStack({ dockerCompose: text });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    return (
      (e.detail as { message?: string }[] | undefined)?.map((d) => d.message ?? String(d)) ?? [e.message]
    );
  }
  throw new Error("the file was accepted");
}

describe("compose keys for host namespaces, confinement and limits", () => {
  test("every key reaches the launch config", () => {
    const { spec, warnings } = parseStack({
      dockerCompose: compose(
        [
          "    pid: host",
          "    ipc: shareable",
          "    uts: host",
          "    security_opt: [no-new-privileges, 'seccomp=unconfined']",
          "    ulimits:",
          "      nproc: 65535",
          "      nofile: {soft: 20000, hard: 40000}",
          "    sysctls: [net.core.somaxconn=1024]",
          "    tmpfs: [/run, '/tmp:size=64m,noexec']",
          "    shm_size: 256m",
          "    read_only: true",
          "    cap_add: [NET_ADMIN]",
          "    cap_drop: [MKNOD]",
          "    devices: [/dev/fuse]",
          "    dns_search: corral.test",
          "    extra_hosts: ['db:10.0.0.9']",
          "    stop_signal: SIGINT",
          "    stop_grace_period: 1m30s",
          "",
        ].join("\n"),
      ),
    });
    expect(warnings).toEqual([]);
    expect(spec.services[0]?.launchConfig).toMatchObject({
      pidMode: "host",
      ipcMode: "shareable",
      uts: "host",
      securityOpt: ["no-new-privileges", "seccomp=unconfined"],
      ulimits: [
        { name: "nproc", soft: 65535, hard: 65535 },
        { name: "nofile", soft: 20000, hard: 40000 },
      ],
      sysctls: { "net.core.somaxconn": "1024" },
      tmpfs: { "/run": "", "/tmp": "size=64m,noexec" },
      shmSize: 256 * 1024 * 1024,
      readOnly: true,
      capAdd: ["NET_ADMIN"],
      capDrop: ["MKNOD"],
      devices: ["/dev/fuse"],
      dnsSearch: ["corral.test"],
      extraHosts: ["db:10.0.0.9"],
      stopSignal: "SIGINT",
      stopTimeout: 90,
    });
    // And export gives every key back.
    const again = parseStack({ dockerCompose: exportStack(spec).dockerCompose });
    expect(again.spec.services[0]?.launchConfig).toEqual(spec.services[0]?.launchConfig);
  });

  test("sysctls as a mapping, tmpfs as one path", () => {
    const { spec } = parseStack({
      dockerCompose: compose("    sysctls:\n      net.ipv4.ip_forward: 1\n    tmpfs: /run\n"),
    });
    expect(spec.services[0]?.launchConfig).toMatchObject({
      sysctls: { "net.ipv4.ip_forward": "1" },
      tmpfs: { "/run": "" },
    });
  });

  test("another container's namespace is a warning that names the key, never a silent drop", () => {
    const { spec, warnings } = parseStack({
      dockerCompose: compose("    pid: service:b\n    ipc: container:db\n"),
    });
    expect(warnings).toEqual([
      'docker-compose.yml:4:5: services.a.pid: pid "service:b" (another container\'s namespace) is not supported by Corral; ignored',
      'docker-compose.yml:5:5: services.a.ipc: ipc "container:db" (another container\'s namespace) is not supported by Corral; ignored',
    ]);
    expect(spec.services[0]?.launchConfig?.pidMode).toBeUndefined();
  });

  test("bad values are refused with their place", () => {
    const cases: [string, RegExp][] = [
      ["    pid: private\n", /pid must be host/],
      ["    uts: yes\n", /uts must be host/],
      ["    ipc: shared\n", /ipc must be host, private, shareable, none/],
      ["    ulimits: {nofiles: 5}\n", /unknown ulimit "nofiles"/],
      ["    ulimits: {nofile: {soft: 10, hard: 5}}\n", /soft must not exceed hard/],
      ["    ulimits: {nofile: {soft: 10}}\n", /needs both soft and hard/],
      ["    ulimits: {nofile: lots}\n", /must be an integer/],
      ["    ulimits: [nofile]\n", /must be a mapping of ulimit names/],
      ["    sysctls: ['bad name=1']\n", /is not a sysctl name/],
      ["    sysctls: [net.core.somaxconn]\n", /needs a value/],
      ["    tmpfs: [run]\n", /the path must be absolute/],
      ["    shm_size: big\n", /./],
      ["    read_only: maybe\n", /./],
      ["    security_opt: seccomp=unconfined\n", /./],
    ];
    for (const [keys, re] of cases) {
      const found = problems(compose(keys));
      expect(found.join("\n")).toMatch(re);
    }
  });
});
