import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  azureOvfEnv,
  type CloudFixture,
  type CloudStandIn,
  startCloudStandIn,
} from "../../../test/stand-ins/cloud-metadata.ts";
import type { Host } from "../system/host.ts";
import { decodeBase64, parseOvfEnv, readAzure } from "./clouds-azure.ts";
import { probeDatasources } from "./datasources.ts";
import { Unavailable } from "./metadata.ts";
import { parseXml } from "./xml.ts";

const fixture: CloudFixture = {
  userData: "#cloud-config\nhostname: from-custom-data\n",
  hostname: "az-node-3",
  keys: ["ssh-ed25519 AAAAC3first one@x", "ssh-rsa AAAAB3second two@y"],
  mac: "02:00:00:aa:bb:cc",
  ipv4: "10.20.30.40",
  prefix: 24,
  gateway: "10.20.30.1",
  nameservers: [],
};

const started: CloudStandIn[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});
function imds(f: CloudFixture = fixture): CloudStandIn {
  const s = startCloudStandIn("azure", f);
  started.push(s);
  return s;
}

/** A loopback port nothing listens on: IMDS not there. */
async function closedPort(): Promise<string> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${s.port}`;
  await s.stop(true);
  return url;
}

/** A root with a DVD drive `sr0` whose mount puts `media` (a folder) at the mount point. */
function hostWithMedia(media: string | undefined): { host: Host; devices: string[]; mounts: string[] } {
  const root = mkdtempSync(join(tmpdir(), "corral-azure-"));
  mkdirSync(join(root, "dev"));
  const devices = ["vda", "sr0"].map((d) => {
    writeFileSync(join(root, "dev", d), "");
    return join(root, "dev", d);
  });
  const mounts: string[] = [];
  const host: Host = {
    root,
    async run(file, args) {
      if (file === "mount") {
        mounts.push(args.join(" "));
        if (!media) throw new Error("mount: no medium found on /dev/sr0");
        cpSync(media, join(root, args.at(-1) ?? ""), { recursive: true });
      }
      return "";
    },
  };
  return { host, devices, mounts };
}

function mediaDir(xml: string): string {
  const d = mkdtempSync(join(tmpdir(), "corral-azure-media-"));
  writeFileSync(join(d, "ovf-env.xml"), xml);
  return d;
}

const probe = (host: Host, spec: string, devices: string[], azure: string, capMs = 3000) =>
  probeDatasources(host, [spec], undefined, { baseUrls: { azure }, devices, capMs });

describe("azure: ovf-env.xml on the provisioning media", () => {
  test("CustomData, HostName and the keys given by value come from the DVD; IMDS adds its keys", async () => {
    const s = imds({ ...fixture, userData: "#cloud-config\nhostname: from-imds\n" });
    const { host, devices, mounts } = hostWithMedia(mediaDir(azureOvfEnv(fixture)));
    const found = await probe(host, "azure", devices, s.url);
    expect(mounts).toEqual([`-o ro ${devices[1]} /run/corral/datasource-azure`]);
    expect(found?.source).toBe(`azure (ovf-env.xml on ${devices[1]}, ${s.url})`);
    // CustomData wins over IMDS user data when both are set
    expect(found?.data).toEqual({ kind: "cloud-config", text: fixture.userData as string });
    expect(found?.hostname).toBe("az-node-3");
    expect(found?.sshKeys).toEqual(fixture.keys);
    expect(found?.network?.info?.["nic0.private-ipv4"]).toBe("10.20.30.40");
  });
  test("with the media and no IMDS the media's data is used alone, and that is said", async () => {
    const { host, devices } = hostWithMedia(mediaDir(azureOvfEnv(fixture)));
    const found = await probe(host, "azure", devices, await closedPort());
    expect(found?.source).toContain("IMDS not reached");
    expect(found?.data?.text).toBe(fixture.userData as string);
    expect(found?.sshKeys).toEqual([fixture.keys[0] as string]);
  });
  test("azure:/folder reads a media folder given by path", async () => {
    const { host } = hostWithMedia(undefined);
    const dir = "/run/azure-media";
    mkdirSync(join(host.root, dir), { recursive: true });
    writeFileSync(join(host.root, dir, "ovf-env.xml"), azureOvfEnv(fixture));
    const found = await probe(host, `azure:${dir}`, [], await closedPort());
    expect(found?.source).toStartWith(`azure (ovf-env.xml on ${dir};`);
    expect(found?.data?.text).toBe(fixture.userData as string);
  });
  test("gzip'd CustomData is unpacked; empty CustomData leaves IMDS user data", async () => {
    const gz = Buffer.from(Bun.gzipSync(new TextEncoder().encode("#!/bin/sh\necho hi\n"))).toString("base64");
    expect(parseOvfEnv(azureOvfEnv(fixture, gz), "t").data).toEqual({
      kind: "script",
      text: "#!/bin/sh\necho hi\n",
    });
    const s = imds({ ...fixture, userData: "#cloud-config\nhostname: from-imds\n" });
    const found = await readAzure(
      s.url,
      { fetcher: fetch, timeoutMs: 2000 },
      parseOvfEnv(azureOvfEnv(fixture, ""), "t"),
    );
    expect(found.data?.text).toBe("#cloud-config\nhostname: from-imds\n");
  });
  test("no DVD, or one that does not mount: IMDS alone", async () => {
    const s = imds();
    const { host, devices } = hostWithMedia(undefined);
    const found = await probe(host, "azure", devices, s.url);
    expect(found?.source).toBe(`azure (${s.url})`);
    expect(found?.data?.text).toBe(fixture.userData as string);
  });
});

describe("azure: garbage gives a precise error, never a crash", () => {
  test("CustomData that is not base64 names the character and where it is", () => {
    expect(() => parseOvfEnv(azureOvfEnv(fixture, "I2Nsb3VkLWNv!bmZpZw=="), "/dev/sr0")).toThrow(
      "azure: CustomData in ovf-env.xml on /dev/sr0 is not base64: '!' at character 13",
    );
    expect(() => parseOvfEnv(azureOvfEnv(fixture, "I2Nsb3VkLWNvbmZpZw"), "/dev/sr0")).toThrow(
      "padding misplaced or missing",
    );
    expect(() => decodeBase64("ab=c", "x")).toThrow("padding");
    expect(new TextDecoder().decode(decodeBase64("I2Nsb3Vk\nLWNvbmZpZw==\n", "x"))).toBe("#cloud-config");
  });
  test("malformed XML names the line and column", () => {
    const cut = azureOvfEnv(fixture).replace("</ns1:HostName>", "</ns1:Hostname>");
    expect(() => parseOvfEnv(cut, "/dev/sr0")).toThrow(
      /ovf-env\.xml on \/dev\/sr0 is not well-formed XML: closing tag <\/ns1:Hostname> where <\/HostName> was expected at line 7, column \d+/,
    );
    const xml = azureOvfEnv(fixture);
    expect(() => parseOvfEnv(xml.slice(0, xml.indexOf("</ns1:LinuxProvisioning")), "d")).toThrow(
      "<LinuxProvisioningConfigurationSet> is never closed",
    );
    expect(() => parseOvfEnv(xml.slice(0, 400), "d")).toThrow("an unclosed tag <ns1:HostName> at line 7");
    expect(() => parseOvfEnv("", "d")).toThrow("no root element");
    expect(() => parseOvfEnv("<a>AT&T</a>", "d")).toThrow("'&' not starting an entity");
    expect(() => parseOvfEnv('<!DOCTYPE x [<!ENTITY a "b">]><a/>', "d")).toThrow("DOCTYPE");
    expect(() => parseOvfEnv("<a/><b/>", "d")).toThrow("a second root element");
    expect(() => parseOvfEnv("<Environment><x/></Environment>", "d")).toThrow(
      "has no LinuxProvisioningConfigurationSet",
    );
    expect(() => parseOvfEnv("<other/>", "d")).toThrow("not an OVF environment");
  });
  test("the reader decodes entities and CDATA, and drops namespace prefixes", () => {
    const x = parseXml(
      '<?xml version="1.0"?><a:r x="1"><!-- c --><a:b>x &amp; &#65;&#x42;<![CDATA[<raw>]]></a:b></a:r>',
    );
    expect(x.name).toBe("r");
    expect(x.children[0]).toEqual({ name: "b", children: [], text: "x & AB<raw>" });
  });
  test("IMDS user data that is not base64 ends the probe with the URL and the reason", async () => {
    const s = imds({ ...fixture, azureUserDataText: "not*base64" });
    await expect(readAzure(s.url, { fetcher: fetch, timeoutMs: 2000 })).rejects.toThrow(
      /compute\/userData\?api-version=2021-01-01&format=text is not base64: '\*' at character 4/,
    );
    const { host } = hostWithMedia(undefined);
    // through the probe: nothing found, the boot goes on
    expect(await probe(host, "azure", [], s.url)).toBeUndefined();
  });
  test("a malformed ovf-env.xml on the DVD ends the probe without a crash", async () => {
    const { host, devices } = hostWithMedia(mediaDir("<ns0:Environment><unclosed></ns0:Environment>"));
    expect(await probe(host, "azure", devices, await closedPort())).toBeUndefined();
  });
  test("without media, IMDS not there is Unavailable (retried), not an error", async () => {
    await expect(readAzure(await closedPort(), { fetcher: fetch, timeoutMs: 1000 })).rejects.toBeInstanceOf(
      Unavailable,
    );
  });
});
