// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${corral.x} is the service.yml substitution syntax under test
// How a cloud-config's join and HTTPS settings reach the shipped agent and server services on first
// boot: the agent gets the https URL, the token and the CA checksum it pins; the server gets its
// HTTPS port, names and certificate files, and unset keys stay empty (the server's defaults).
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseCmdline } from "../config/cmdline.ts";
import { mergeLayers, parseConfigText } from "../config/load-config.ts";
import { commandWords } from "./container-spec.ts";
import { serviceEnvironment } from "./service-config.ts";
import { loadServiceDir } from "./service-file.ts";

const specs = loadServiceDir(join(import.meta.dir, "../../../system-services"));
const spec = (name: string) => specs.find((s) => s.name === name)!;
const checksum = "9b0f3c2a1d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f7a";

function configOf(text: string) {
  return mergeLayers([{ name: "cloud-config.yml", value: parseConfigText(text, "cloud-config.yml") }]);
}

describe("joining a host from its cloud-config", () => {
  test("the agent service gets the https URL, the token and the CA checksum", () => {
    const config = configOf(
      `#cloud-config\ncorral:\n  agent:\n    url: https://10.0.0.5:8443\n    token: T0KEN\n    ca_checksum: ${checksum}\n`,
    );
    const env = serviceEnvironment(spec("agent"), config);
    expect(env).toContain("CORRAL_URL=https://10.0.0.5:8443");
    expect(env).toContain("CORRAL_TOKEN=T0KEN");
    expect(env).toContain(`CORRAL_CA_CHECKSUM=${checksum}`);
  });

  test("the RancherOS spelling and the kernel command line give the same", () => {
    const config = configOf(
      `rancher:\n  agent:\n    url: https://s:8443\n    token: t\n    ca_checksum: ${checksum}\n`,
    );
    expect(serviceEnvironment(spec("agent"), config)).toContain(`CORRAL_CA_CHECKSUM=${checksum}`);
    const cmdline = parseCmdline(`corral.agent.url=https://s:8443 corral.agent.ca_checksum=${checksum}`);
    expect(cmdline.config).toEqual({ corral: { agent: { url: "https://s:8443", ca_checksum: checksum } } });
  });

  test("an unset checksum is empty, which the agent reads as none", () => {
    const env = serviceEnvironment(spec("agent"), configOf("corral:\n  agent:\n    url: http://s:8080\n"));
    expect(env).toContain("CORRAL_CA_CHECKSUM=");
  });

  test("the server service gets its HTTPS settings; unset ones are empty", () => {
    const set = configOf(
      "corral:\n  server:\n    enabled: true\n    https_port: 9443\n    insecure_http: true\n" +
        "    tls_sans: [corral.lan, 10.0.0.5]\n    tls_cert: /var/lib/corral/tls/c.pem\n" +
        "    tls_key: /var/lib/corral/tls/k.pem\n",
    );
    const env = serviceEnvironment(spec("server"), set);
    expect(env).toEqual(
      expect.arrayContaining([
        "CORRAL_HTTPS_PORT=9443",
        "CORRAL_INSECURE_HTTP=true",
        "CORRAL_TLS_SANS=corral.lan,10.0.0.5",
        "CORRAL_TLS_CERT=/var/lib/corral/tls/c.pem",
        "CORRAL_TLS_KEY=/var/lib/corral/tls/k.pem",
        "CORRAL_TLS_CA=",
      ]),
    );
    const unset = serviceEnvironment(spec("server"), configOf("corral:\n  server:\n    enabled: true\n"));
    for (const key of ["CORRAL_HTTPS_PORT", "CORRAL_INSECURE_HTTP", "CORRAL_TLS_SANS", "CORRAL_TLS_CERT"])
      expect(unset).toContain(`${key}=`);
    expect(commandWords(spec("server").command, set)?.join(" ")).toContain("--join");
  });

  test("bad HTTPS settings are refused at their position", () => {
    expect(() => parseConfigText("corral:\n  server:\n    https_port: 70000\n", "c.yml")).toThrow(
      /c\.yml:3:17: corral\.server\.https_port/,
    );
    expect(() => parseConfigText("corral:\n  server:\n    insecure_http: maybe\n", "c.yml")).toThrow(
      /c\.yml:3:20: corral\.server\.insecure_http/,
    );
    expect(() => parseConfigText("corral:\n  server:\n    tls_sans: corral.lan\n", "c.yml")).toThrow(
      /c\.yml:3:15: corral\.server\.tls_sans/,
    );
  });
});
