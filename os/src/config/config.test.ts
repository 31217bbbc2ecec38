import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseCmdline, splitCmdline } from "./cmdline.ts";
import { configPaths } from "./defaults.ts";
import { loadConfig, parseConfigText } from "./load-config.ts";
import { deepMerge, getPath, setPath } from "./merge.ts";

const samples = join(import.meta.dir, "samples");

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "corral-cfg-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("config schema", () => {
  for (const name of readdirSync(samples)) {
    test(`sample ${name} validates`, () => {
      const doc = parseConfigText(readFileSync(join(samples, name), "utf8"), name);
      expect(doc.rancher).toBeUndefined();
      expect(typeof doc).toBe("object");
    });
  }

  test("rancher: is an alias of corral:, corral wins in one document", () => {
    const doc = parseConfigText("rancher:\n  modules: [a]\n  debug: true\ncorral:\n  modules: [b]\n", "f");
    expect(doc).toEqual({ corral: { modules: ["b"], debug: true } });
  });

  test("errors carry file:line:column and reason", () => {
    expect(() => parseConfigText("#cloud-config\nrancher:\n  network:\n    dsn: {}\n", "c.yml")).toThrow(
      "c.yml:4:5: rancher.network: unknown key 'dsn'",
    );
    expect(() => parseConfigText("hostname: -bad\n", "c.yml")).toThrow(
      "c.yml:1:11: hostname: not a valid hostname",
    );
    expect(() => parseConfigText("corral:\n  modules: nbd\n", "c.yml")).toThrow(
      /c\.yml:2:12: corral\.modules/,
    );
    expect(() => parseConfigText("corral: [\n", "c.yml")).toThrow(/^c\.yml:\d+:\d+: /);
    expect(() => parseConfigText("- a\n", "c.yml")).toThrow("c.yml:1:1: a cloud-config is a map of keys");
    expect(() => parseConfigText("write_files:\n  - path: etc/x\n", "c.yml")).toThrow(
      /c\.yml:2:11: write_files\.0\.path/,
    );
  });

  test("rancher: (or corral:) present but empty is an empty section", () => {
    expect(parseConfigText("#cloud-config\nrancher:\n", "f")).toEqual({});
    expect(parseConfigText("rancher:\n  # debug: true\ncorral:\nhostname: a\n", "f")).toEqual({
      hostname: "a",
    });
    expect(parseConfigText("rancher:\ncorral:\n  debug: true\n", "f")).toEqual({ corral: { debug: true } });
    const root = tree({ [configPaths.user]: "rancher:\n" });
    expect(loadConfig({ root, cmdline: "" }).corral?.debug).toBeUndefined();
  });

  test("wifi_network beside wifi_networks, and preload_wait", () => {
    const doc = parseConfigText(
      "rancher:\n  preload_wait: true\n  network:\n    interfaces:\n      wlan0:\n        wifi_network: home\n" +
        "    wifi_networks:\n      home: {ssid: x, psk: y}\n",
      "f",
    );
    expect(doc).toEqual({
      corral: {
        preload_wait: true,
        network: {
          interfaces: { wlan0: { wifi_network: "home" } },
          wifi_networks: { home: { ssid: "x", psk: "y" } },
        },
      },
    });
  });

  test("the new keys with garbage: file:line:column and the key", () => {
    expect(() => parseConfigText("rancher:\n  preload_wait: soon\n", "c.yml")).toThrow(
      /^c\.yml:2:17: rancher\.preload_wait: /,
    );
    expect(() =>
      parseConfigText(
        "rancher:\n  network:\n    interfaces:\n      wlan0:\n        wifi_network: [a]\n",
        "c.yml",
      ),
    ).toThrow(/^c\.yml:5:23: rancher\.network\.interfaces\.wlan0\.wifi_network: /);
    expect(() =>
      parseConfigText(
        "rancher:\n  network:\n    interfaces:\n      wlan0:\n        wifi_netwrk: a\n",
        "c.yml",
      ),
    ).toThrow("c.yml:5:9: rancher.network.interfaces.wlan0: unknown key 'wifi_netwrk'");
    expect(() => parseConfigText("rancher: 5\n", "c.yml")).toThrow(/^c\.yml:1:10: rancher: /);
    expect(() => parseConfigText("rancher: [a]\n", "c.yml")).toThrow(/^c\.yml:1:10: rancher: /);
    expect(() => parseConfigText("rancher:\n  http_load_retries: -1\n", "c.yml")).toThrow(
      /^c\.yml:2:22: rancher\.http_load_retries: /,
    );
    expect(() =>
      parseConfigText("rancher:\n  network:\n    interfaces:\n      eth0: {ipv4ll: maybe}\n", "c.yml"),
    ).toThrow(/^c\.yml:4:22: rancher\.network\.interfaces\.eth0\.ipv4ll: /);
  });

  test("empty documents are empty layers", () => {
    expect(parseConfigText("#cloud-config\n", "f")).toEqual({});
    expect(parseConfigText("", "f")).toEqual({});
  });
});

describe("merge", () => {
  test("maps merge deeply, lists and scalars are replaced", () => {
    const merged = deepMerge({ a: { b: 1, l: [1, 2] }, s: "x" }, { a: { c: 2, l: [3] }, s: "y" });
    expect(merged).toEqual({ a: { b: 1, c: 2, l: [3] }, s: "y" });
  });

  test("get and set by dotted path, rancher. aliased", () => {
    const doc = setPath({}, "rancher.network.dns.nameservers", ["1.1.1.1"]);
    expect(getPath(doc, "corral.network.dns.nameservers")).toEqual(["1.1.1.1"]);
    expect(getPath(setPath(doc, "corral.network", undefined), "corral")).toEqual({});
  });

  test("layers in order: defaults < OEM < cloud-config.d < cloud-config.yml < cmdline", () => {
    const root = tree({
      [configPaths.oem]: "corral:\n  modules: [oem]\n  debug: false\nhostname: oem\n",
      [`${configPaths.dropInDir}/b.yml`]: "corral:\n  modules: [dropin-b]\n",
      [`${configPaths.dropInDir}/a.yml`]: "corral:\n  modules: [dropin-a]\n  sysctl: {a: 1}\n",
      [configPaths.user]: "rancher:\n  sysctl: {b: 2}\nhostname: user\n",
    });
    const config = loadConfig({
      root,
      cmdline: "console=ttyS0 rancher.debug=true corral.network.dns.nameservers=[8.8.8.8]",
    });
    expect(config.hostname).toBe("user");
    expect(config.corral?.modules).toEqual(["dropin-b"]);
    expect(config.corral?.sysctl).toEqual({ a: 1, b: 2 });
    expect(config.corral?.debug).toBe(true);
    expect(config.corral?.network?.dns?.nameservers).toEqual(["8.8.8.8"]);
    expect(config.corral?.network?.interfaces?.["eth*"]?.dhcp).toBe(true);
  });

  test("every bad layer is reported at once", () => {
    const root = tree({
      [configPaths.oem]: "corral:\n  bogus: 1\n",
      [configPaths.user]: "hostname: [x]\n",
    });
    expect(() => loadConfig({ root, cmdline: "corral.ssh.port=abc" })).toThrow(
      /os-config\.yml:2:3: corral: unknown key 'bogus'\n.*cloud-config\.yml:1:11: hostname: .*\n.*cmdline:1:1: corral\.ssh\.port/,
    );
  });
});

describe("kernel command line", () => {
  test("quoting, dotted keys and typed values", () => {
    expect(splitCmdline('a  b="c d" "e f"\n')).toEqual(["a", "b=c d", "e f"]);
    const c = parseCmdline(
      'BOOT_IMAGE=/vmlinuz console=tty0 rancher.state.autoformat=[/dev/vda] corral.environment.MOTD="hi there" ' +
        "corral.debug corral.ssh.port=22 corral.agent.token=0123 cloud-config-url=http://x/y -- corral.modules=[nbd]",
    );
    expect(c.config).toEqual({
      corral: {
        state: { autoformat: ["/dev/vda"] },
        environment: { MOTD: "hi there" },
        debug: true,
        ssh: { port: 22 },
        agent: { token: "0123" },
        modules: ["nbd"],
      },
    });
    expect(c.cloudConfigUrl).toBe("http://x/y");
    expect(c.params.console).toBe("tty0");
  });

  test("invalid YAML values stay strings", () => {
    expect(parseCmdline("corral.x.y=[a").config).toEqual({ corral: { x: { y: "[a" } } });
  });
});
