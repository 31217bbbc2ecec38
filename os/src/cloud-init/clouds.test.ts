import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  type CloudFixture,
  type CloudStandIn,
  startCloudStandIn,
} from "../../../test/stand-ins/cloud-metadata.ts";
import { loadConfig } from "../config/load-config.ts";
import type { Host } from "../system/host.ts";
import { probeDatasources } from "./datasources.ts";
import { Unavailable } from "./metadata.ts";
import { metadataKeys, saveFound } from "./save.ts";

const fixture: CloudFixture = {
  userData: "#cloud-config\nhostname: from-user-data\nrancher:\n  environment:\n    A: b\n",
  hostname: "node-7",
  keys: ["ssh-ed25519 AAAAC3first one@x", "ssh-rsa AAAAB3second two@y"],
  mac: "02:00:00:aa:bb:cc",
  ipv4: "10.20.30.40",
  prefix: 24,
  gateway: "10.20.30.1",
  nameservers: ["10.20.0.2"],
  slaveMacs: ["02:00:00:00:00:01", "02:00:00:00:00:02"],
};

function tempHost(): Host {
  const root = mkdtempSync(join(tmpdir(), "corral-clouds-"));
  mkdirSync(join(root, "var/lib/corral/conf/cloud-config.d"), { recursive: true });
  return { root, run: async () => "" };
}

const started: CloudStandIn[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});
function standIn(cloud: string, f = fixture, failFirst = 0): CloudStandIn {
  const s = startCloudStandIn(cloud, f, { failFirst });
  started.push(s);
  return s;
}

/** A loopback port nothing listens on: a cloud that is not there. */
async function closedPort(): Promise<string> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${s.port}`;
  await s.stop(true);
  return url;
}

const noVmware = async () => {
  throw new Unavailable("vmware: not in this test");
};

describe("HTTP datasources against their stand-ins", () => {
  const clouds = [
    "ec2",
    "aliyun",
    "cloudstack",
    "exoscale",
    "gce",
    "digitalocean",
    "azure",
    "packet",
    "openstack",
  ];
  for (const cloud of clouds) {
    test(`${cloud}: user-data, keys, hostname`, async () => {
      const s = standIn(cloud);
      const found = await probeDatasources(tempHost(), [cloud], undefined, {
        baseUrls: { [cloud]: s.url },
        devices: [],
        capMs: 5000,
      });
      expect(found?.source).toContain(cloud);
      expect(found?.data).toEqual({ kind: "cloud-config", text: fixture.userData as string });
      expect(found?.hostname).toBe("node-7");
      expect(found?.sshKeys).toEqual(fixture.keys);
    });
  }

  test("ec2 asks for an IMDSv2 token first and sends it", async () => {
    const s = standIn("ec2");
    await probeDatasources(tempHost(), [`ec2:${s.url}`], undefined, { devices: [] });
    expect(s.requests[0]).toBe("PUT /latest/api/token");
    expect(s.requests).toContain("GET /latest/meta-data/public-keys/0/openssh-key");
  });

  test("network metadata: static by MAC (digitalocean, openstack), a bond (packet), informational (ec2)", async () => {
    const net = async (cloud: string) =>
      (await probeDatasources(tempHost(), [`${cloud}:${standIn(cloud).url}`], undefined, { devices: [] }))
        ?.network;
    const want = { mac: fixture.mac, addresses: ["10.20.30.40/24"], gateway: "10.20.30.1" };
    expect(await net("digitalocean")).toEqual({ interfaces: [want], nameservers: ["10.20.0.2"] });
    expect(await net("openstack")).toEqual({
      interfaces: [{ ...want, mtu: 1450 }],
      nameservers: ["10.20.0.2"],
    });
    const packet = await net("packet");
    expect(packet?.bonds).toEqual({ bond0: { mode: "802.3ad" } });
    expect(packet?.interfaces).toContainEqual({
      name: "bond0",
      addresses: ["10.20.30.40/24"],
      gateway: "10.20.30.1",
    });
    expect(packet?.interfaces).toContainEqual({
      mac: "02:00:00:00:00:01",
      name: "eth0",
      addresses: [],
      bond: "bond0",
    });
    expect((await net("ec2"))?.info).toMatchObject({ "local-ipv4": fixture.ipv4, mac: fixture.mac });
  });

  test("gzip user-data and no user-data at all", async () => {
    const gz = standIn("ec2", { ...fixture, userData: gzipSync("#!/bin/sh\necho hi\n") });
    expect(
      (await probeDatasources(tempHost(), [`ec2:${gz.url}`], undefined, { devices: [] }))?.data?.kind,
    ).toBe("script");
    const none = standIn("gce", { ...fixture, userData: undefined });
    const found = await probeDatasources(tempHost(), [`gce:${none.url}`], undefined, { devices: [] });
    expect(found?.data).toBeUndefined();
    expect(found?.hostname).toBe("node-7");
  });

  test("a metadata service answering 503 at first is retried with backoff", async () => {
    const s = standIn("digitalocean", fixture, 3);
    const found = await probeDatasources(tempHost(), [`digitalocean:${s.url}`], undefined, { devices: [] });
    expect(found?.hostname).toBe("node-7");
    expect(s.requests.length).toBe(4);
  });

  test("a server that is not the cloud's (GCE without its header) is not taken for it", async () => {
    const s = standIn("ec2");
    expect(
      await probeDatasources(tempHost(), [`gce:${s.url}`], undefined, { devices: [], capMs: 300 }),
    ).toBeUndefined();
  });
});

describe("CloudStack's virtual router", () => {
  test("data-server. not answering: the default gateway is asked", async () => {
    const { defaultGateway } = await import("./datasources.ts");
    const host = tempHost();
    mkdirSync(join(host.root, "proc/net"), { recursive: true });
    const route =
      "Iface\tDestination\tGateway \tFlags\nvirbr0\t0000A8C0\t00000000\t0001\neth0\t00000000\t0100007F\t0003\n";
    writeFileSync(join(host.root, "proc/net/route"), route);
    expect(defaultGateway(host.root)).toBe("127.0.0.1");
    // A stand-in on the gateway's address: the probe falls back to it when data-server. fails.
    const s = standIn("cloudstack");
    const port = new URL(s.url).port;
    const fetcher = ((url: string, init?: RequestInit) =>
      url.startsWith("http://data-server.")
        ? Promise.reject(new Error("getaddrinfo ENOTFOUND data-server."))
        : fetch(url.replace("http://127.0.0.1/", `http://127.0.0.1:${port}/`), init)) as typeof fetch;
    const found = await probeDatasources(host, ["cloudstack"], undefined, {
      devices: [],
      fetcher,
      capMs: 5000,
    });
    expect(found?.source).toBe("cloudstack (http://127.0.0.1)");
    expect(found?.hostname).toBe("node-7");
  });
});

describe("'*': every datasource in parallel, first wins", () => {
  test("the one cloud that answers wins while the others are retried", async () => {
    const closed = await closedPort();
    const s = standIn("azure");
    const baseUrls = Object.fromEntries(
      ["ec2", "aliyun", "cloudstack", "exoscale", "gce", "digitalocean", "packet", "openstack"].map((c) => [
        c,
        closed,
      ]),
    );
    const t0 = Date.now();
    const found = await probeDatasources(tempHost(), ["*"], undefined, {
      baseUrls: { ...baseUrls, azure: s.url },
      devices: [],
      guestInfo: noVmware,
    });
    expect(found?.source).toBe(`azure (${s.url})`);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  test("nothing answers: given up at the cap", async () => {
    const closed = await closedPort();
    const clouds = [
      "ec2",
      "aliyun",
      "cloudstack",
      "exoscale",
      "gce",
      "digitalocean",
      "azure",
      "packet",
      "openstack",
    ];
    const t0 = Date.now();
    const found = await probeDatasources(tempHost(), ["*"], undefined, {
      baseUrls: Object.fromEntries(clouds.map((c) => [c, closed])),
      devices: [],
      guestInfo: noVmware,
      capMs: 1500,
    });
    expect(found).toBeUndefined();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});

describe("what a datasource found becomes config", () => {
  test("boot.yml, metadata.json and the lowest drop-in; user config wins, keys are appended", async () => {
    const host = tempHost();
    const s = standIn("digitalocean");
    const found = await probeDatasources(host, [`digitalocean:${s.url}`], undefined, { devices: [] });
    if (!found) throw new Error("nothing found");
    expect(saveFound(host.root, found)).toEqual([]);
    const dropIn = join(host.root, "var/lib/corral/conf/cloud-config.d");
    expect(readFileSync(join(dropIn, "boot.yml"), "utf8")).toBe(fixture.userData as string);
    const config = loadConfig({ root: host.root, cmdline: "" });
    // The user-data's hostname wins over the cloud's (RancherOS: the metadata's only if unset).
    expect(config.hostname).toBe("from-user-data");
    expect(config.corral?.network?.interfaces?.[`mac:${fixture.mac}`]).toEqual({
      addresses: ["10.20.30.40/24"],
      gateway: "10.20.30.1",
    });
    expect(config.corral?.network?.dns?.nameservers).toEqual(["10.20.0.2"]);
    expect(metadataKeys(host.root)).toEqual(fixture.keys);
  });

  test("#compose user-data becomes corral.services; bad compose is refused with the source's name", async () => {
    const host = tempHost();
    const compose = "#compose\nversion: '2'\nservices:\n  web:\n    image: nginx\n    restart: always\n";
    saveFound(host.root, { source: "url", data: { kind: "compose", text: compose } });
    expect(loadConfig({ root: host.root, cmdline: "" }).corral?.services).toEqual({
      web: { image: "nginx", restart: "always" },
    });
    // The bare service map RancherOS's examples use.
    saveFound(host.root, {
      source: "url",
      data: { kind: "compose", text: "#compose\nnginxapp:\n  image: nginx\n" },
    });
    expect(loadConfig({ root: host.root, cmdline: "" }).corral?.services).toEqual({
      nginxapp: { image: "nginx" },
    });
    expect(() =>
      saveFound(host.root, { source: "url", data: { kind: "compose", text: "#compose\n- a\n" } }),
    ).toThrow("map of services");
    expect(() =>
      saveFound(host.root, { source: "url", data: { kind: "compose", text: "#compose\nweb: [\n" } }),
    ).toThrow("not YAML");
  });

  test("a hostname the schema refuses is a warning, not a failed boot", () => {
    const host = tempHost();
    expect(saveFound(host.root, { source: "x", hostname: "bad host!" })[0]).toContain("not applied");
  });
});

describe("local datasources", () => {
  test("vmware guestinfo from a configured file (RancherOS keys, base64)", async () => {
    const host = tempHost();
    writeFileSync(
      join(host.root, "guestinfo.vmx"),
      [
        `guestinfo.cloud-init.config.data = "${Buffer.from("#cloud-config\nhostname: vm1\n").toString("base64")}"`,
        'guestinfo.cloud-init.data.encoding = "base64"',
        'guestinfo.hostname = "vm1"',
        'guestinfo.interface.0.name = "eth0"',
        'guestinfo.interface.0.ip.0.address = "192.168.5.10/24"',
        'guestinfo.interface.0.route.0.gateway = "192.168.5.1"',
        'guestinfo.dns.server.0 = "192.168.5.2"',
      ].join("\n"),
    );
    const found = await probeDatasources(host, ["vmware:/guestinfo.vmx"], undefined, { devices: [] });
    expect(found?.data?.text).toBe("#cloud-config\nhostname: vm1\n");
    expect(found?.network).toEqual({
      interfaces: [{ name: "eth0", addresses: ["192.168.5.10/24"], gateway: "192.168.5.1" }],
      nameservers: ["192.168.5.2"],
    });
  });

  test("vmware through VMware Tools' RPC (a recording host), gzip+base64 userdata", async () => {
    const calls: string[] = [];
    const values: Record<string, string> = {
      "guestinfo.userdata": gzipSync("#cloud-config\nhostname: vm2\n").toString("base64"),
      "guestinfo.userdata.encoding": "gzip+base64",
    };
    const host: Host = {
      root: tempHost().root,
      run: async (file, args) => {
        calls.push([file, ...args].join(" "));
        if (file === "vmware-rpctool") throw new Error("spawn vmware-rpctool ENOENT");
        const v = values[(args[1] ?? "").replace("info-get ", "")];
        if (v === undefined) throw new Error("vmtoolsd failed: No value found");
        return v;
      },
    };
    const found = await probeDatasources(host, ["vmware"], undefined, { devices: [] });
    expect(found?.data?.text).toBe("#cloud-config\nhostname: vm2\n");
    expect(calls[0]).toBe("vmware-rpctool info-get guestinfo.cloud-init.config.data");
    expect(calls[1]).toBe("vmtoolsd --cmd info-get guestinfo.cloud-init.config.data");
  });

  test("proxmox: NoCloud drive with generic cloud-init user-data and network-config v1", async () => {
    const host = tempHost();
    const dir = join(host.root, "drive");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "user-data"),
      "#cloud-config\nhostname: pve1\nmanage_etc_hosts: true\nuser: root\nchpasswd:\n  expire: false\nusers:\n  - default\n  - name: admin\n    ssh_authorized_keys: [ssh-ed25519 AAAApve admin]\nssh_authorized_keys:\n  - ssh-ed25519 AAAAtop k\n",
    );
    writeFileSync(join(dir, "meta-data"), "instance-id: 7c0ffee\n");
    writeFileSync(
      join(dir, "network-config"),
      "version: 1\nconfig:\n  - type: physical\n    name: eth0\n    mac_address: 'BC:24:11:00:00:01'\n    subnets:\n      - type: static\n        address: '192.168.1.50'\n        netmask: '255.255.255.0'\n        gateway: '192.168.1.1'\n  - type: nameserver\n    address: ['192.168.1.1']\n",
    );
    const { readDrive } = await import("./drives.ts");
    const found = readDrive(dir, "proxmox", true);
    expect(found?.source).toContain("manage_etc_hosts, user, chpasswd, users");
    expect(found?.sshKeys).toEqual(["ssh-ed25519 AAAApve admin"]);
    expect(found?.data?.text).toBe(
      "#cloud-config\nhostname: pve1\nssh_authorized_keys:\n  - ssh-ed25519 AAAAtop k\n",
    );
    expect(found?.network).toEqual({
      interfaces: [
        { name: "eth0", mac: "bc:24:11:00:00:01", addresses: ["192.168.1.50/24"], gateway: "192.168.1.1" },
      ],
      nameservers: ["192.168.1.1"],
    });
  });

  test("config drive with OpenStack metadata, by path", async () => {
    const host = tempHost();
    const os = join(host.root, "cd/openstack/latest");
    mkdirSync(os, { recursive: true });
    writeFileSync(
      join(os, "meta_data.json"),
      JSON.stringify({ uuid: "u", hostname: "cd1", public_keys: { k: "ssh-rsa AAAAcd k" } }),
    );
    writeFileSync(join(os, "user_data"), "#cloud-config\n");
    const found = await probeDatasources(host, ["configdrive:/cd"], undefined, { devices: [] });
    expect(found).toMatchObject({
      hostname: "cd1",
      sshKeys: ["ssh-rsa AAAAcd k"],
      data: { kind: "cloud-config" },
    });
  });
});
