import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Host } from "../system/host.ts";
import { loadModules } from "../system/kernel.ts";
import { cgroupMounts } from "../system/mounts.ts";
import { networkCommands, resolvConf } from "../system/network.ts";
import { setupState } from "../system/state.ts";
import { applyHostname, applySshKeys, applyWriteFiles, runCommands } from "./apply.ts";
import { probeDatasources, readDriveDir } from "./datasources.ts";
import { decodeUserData } from "./user-data.ts";

function fakeHost(): Host & { calls: string[] } {
  const root = mkdtempSync(join(tmpdir(), "corral-root-"));
  mkdirSync(join(root, "etc"));
  const calls: string[] = [];
  return {
    root,
    calls,
    run: async (f, a) => {
      calls.push([f, ...a].join(" "));
      return "";
    },
  };
}

describe("user-data and datasources", () => {
  test("gzip, cloud-config and scripts", () => {
    expect(decodeUserData(gzipSync("#cloud-config\nhostname: a\n")).kind).toBe("cloud-config");
    expect(decodeUserData(Buffer.from("#!/bin/sh\necho hi\n")).kind).toBe("script");
    expect(decodeUserData(Buffer.from("hello")).kind).toBe("unknown");
  });

  test("config drive and NoCloud directories", () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-ds-"));
    mkdirSync(join(dir, "openstack/latest"), { recursive: true });
    writeFileSync(join(dir, "openstack/latest/user_data"), gzipSync("#cloud-config\nhostname: drive\n"));
    expect(readDriveDir(dir)).toEqual({ kind: "cloud-config", text: "#cloud-config\nhostname: drive\n" });
    const nocloud = mkdtempSync(join(tmpdir(), "corral-ds-"));
    writeFileSync(join(nocloud, "user-data"), "#!/bin/sh\ntrue\n");
    expect(readDriveDir(nocloud)?.kind).toBe("script");
  });

  test("cmdline url first, then file:, none found", async () => {
    const host = fakeHost();
    writeFileSync(join(host.root, "ud"), "#cloud-config\n");
    const fetcher = (async () => new Response("#cloud-config\nhostname: u\n")) as unknown as typeof fetch;
    expect((await probeDatasources(host, ["file:/ud"], "http://x/", { devices: [], fetcher }))?.source).toBe(
      "http://x/",
    );
    expect(
      (await probeDatasources(host, ["configdrive", "file:/ud"], undefined, { devices: [] }))?.source,
    ).toBe("file:/ud");
    expect(await probeDatasources(host, ["nocloud"], undefined, { devices: [] })).toBeUndefined();
  });
});

describe("cloud-init apply", () => {
  test("write_files with encodings and permissions, container entries skipped", () => {
    const host = fakeHost();
    const skipped = applyWriteFiles(host.root, [
      { path: "/etc/motd", content: "aGk=", encoding: "b64" },
      {
        path: "/opt/x/run.sh",
        content: gzipSync("echo\n").toString("base64"),
        encoding: "gz+b64",
        permissions: "0755",
      },
      { path: "/etc/ntp.conf", content: "x", container: "ntp" },
    ]);
    expect(readFileSync(join(host.root, "etc/motd"), "utf8")).toBe("hi");
    expect(readFileSync(join(host.root, "opt/x/run.sh"), "utf8")).toBe("echo\n");
    expect(statSync(join(host.root, "opt/x/run.sh")).mode & 0o777).toBe(0o755);
    expect(skipped).toEqual(["/etc/ntp.conf (container ntp)"]);
  });

  test("ssh keys for corral with the rancher alias, hostname, commands", async () => {
    const host = fakeHost();
    applySshKeys(host.root, ["ssh-ed25519 AAAA a@b"], false);
    applySshKeys(host.root, ["ssh-ed25519 AAAA a@b", "ssh-rsa BBBB c@d"], false);
    expect(readFileSync(join(host.root, "home/rancher/.ssh/authorized_keys"), "utf8")).toBe(
      "ssh-ed25519 AAAA a@b\nssh-rsa BBBB c@d\n",
    );
    expect(readFileSync(join(host.root, "etc/passwd"), "utf8")).toContain("rancher:x:1100:1100:");
    await applyHostname(host, "node-1");
    expect(readFileSync(join(host.root, "etc/hostname"), "utf8")).toBe("node-1\n");
    expect(await runCommands(host, ["echo a", ["touch", "/x"]])).toEqual([]);
    expect(host.calls).toEqual(["hostname node-1", "sh -c echo a", "touch /x"]);
  });
});

describe("host setup", () => {
  test("network: static, dhcp by glob, dns", () => {
    const config = {
      corral: {
        network: {
          dns: { nameservers: ["8.8.8.8"], search: ["lan"] },
          interfaces: {
            eth0: { address: "10.0.0.2/24", gateway: "10.0.0.1", mtu: 1400 },
            "eth*": { dhcp: true },
          },
        },
      },
    };
    const cmds = networkCommands(config, [
      { name: "eth0", mac: "" },
      { name: "eth1", mac: "" },
    ]).map(([f, a]) => [f, ...a].join(" "));
    expect(cmds).toContain("ip addr add 10.0.0.2/24 dev eth0");
    expect(cmds).toContain("ip route add default via 10.0.0.1 dev eth0");
    expect(cmds.some((c) => c.startsWith("udhcpc -b -i eth1"))).toBe(true);
    expect(cmds.some((c) => c.includes("-i eth0"))).toBe(false);
    expect(resolvConf(config)).toBe("search lan\nnameserver 8.8.8.8\n");
  });

  test("cgroups: v2 when offered, else v1 hierarchies with co-mounts", () => {
    expect(cgroupMounts("nodev\tcgroup\nnodev\tcgroup2\n", "")).toEqual([
      ["cgroup2", "cgroup2", "/sys/fs/cgroup", "nsdelegate"],
    ]);
    const v1 = cgroupMounts(
      "nodev\tcgroup\n",
      "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t0\t1\t1\ncpuacct\t0\t1\t1\nmemory\t0\t1\t1\nnet_cls\t0\t1\t1\nhugetlb\t0\t1\t0\n",
    );
    expect(v1.map((m) => m[2])).toEqual([
      "/sys/fs/cgroup",
      "/sys/fs/cgroup/cpu,cpuacct",
      "/sys/fs/cgroup/memory",
      "/sys/fs/cgroup/net_cls",
    ]);
  });

  test("state: RAM without a device, autoformat of a blank disk, label found", async () => {
    const host = fakeHost();
    expect(await setupState(host, {}, [])).toEqual({ mode: "ram" });
    await expect(setupState(host, { corral: { state: { required: true } } }, [])).rejects.toThrow(
      "no state partition",
    );
    mkdirSync(join(host.root, "dev"));
    writeFileSync(join(host.root, "dev/vda"), Buffer.alloc(2 * 1024 * 1024));
    writeFileSync(
      join(host.root, "dev/vdb"),
      Buffer.concat([Buffer.from("data"), Buffer.alloc(1024 * 1024)]),
    );
    const r = await setupState(host, { corral: { state: { autoformat: ["/dev/vdb", "/dev/vda"] } } }, []);
    expect(r).toEqual({ mode: "disk", device: join(host.root, "dev/vda"), formatted: true });
    expect(host.calls[0]).toBe(`mkfs.ext4 -F -q -L CORRAL_STATE ${join(host.root, "dev/vda")}`);
    expect(host.calls).toContain("mount --bind /var/lib/corral-state/var/lib/docker /var/lib/docker");
    // User Docker's data root (its containers and images survive a reboot).
    expect(host.calls).toContain(
      "mount --bind /var/lib/corral-state/var/lib/user-docker /var/lib/user-docker",
    );
    // An ext4 superblock labelled RANCHER_STATE is found by reading the label at 1024+120.
    const sb = Buffer.alloc(4096);
    sb.writeUInt16LE(0xef53, 1024 + 56);
    sb.write("RANCHER_STATE", 1024 + 120, "latin1");
    writeFileSync(join(host.root, "dev/sda1"), sb);
    const host2 = { ...host, calls: [] as string[] };
    host2.run = async (f, a) => {
      host2.calls.push([f, ...a].join(" "));
      return "";
    };
    expect(
      await setupState(host2, {}, [join(host.root, "dev/vdb"), join(host.root, "dev/sda1")]),
    ).toMatchObject({ device: join(host.root, "dev/sda1"), formatted: false });
    expect(existsSync(join(host.root, "var/lib/corral-state/home"))).toBe(true);
  });
});

describe("kernel modules", () => {
  test("one modprobe -a for plain names, one call per module with parameters", async () => {
    const host = fakeHost();
    await loadModules(host, {
      corral: { modules: ["overlay", "br_netfilter", "bonding mode=1 miimon=100"] },
    });
    expect(host.calls).toEqual(["modprobe -a overlay br_netfilter", "modprobe bonding mode=1 miimon=100"]);
  });

  test("when the batch fails, each module is loaded alone so the error names it", async () => {
    const host = fakeHost();
    host.run = async (f, a) => {
      host.calls.push([f, ...a].join(" "));
      if (a.includes("nosuch")) throw new Error("modprobe: FATAL: Module nosuch not found");
      return "";
    };
    await expect(loadModules(host, { corral: { modules: ["overlay", "nosuch"] } })).rejects.toThrow(
      "Module nosuch not found",
    );
    expect(host.calls).toEqual(["modprobe -a overlay nosuch", "modprobe overlay", "modprobe nosuch"]);
  });
});
