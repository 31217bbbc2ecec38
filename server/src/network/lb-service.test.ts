import { expect, test } from "bun:test";
import type { LaunchConfig } from "@corral/api";
import { checkLbConfig, lbImage, lbServiceSpec, validRuleHostname } from "./lb-service.ts";

const rule = (r: Record<string, unknown>) => ({ sourcePort: 80, targetPort: 8080, service: "web", ...r });
const refused = (lb: Record<string, unknown>, reason: RegExp) => {
  let error: unknown;
  try {
    checkLbConfig(lb);
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ code: "InvalidOption" });
  expect((error as Error).message).toMatch(reason);
};

test("valid port rules give their source ports", () => {
  const lb = {
    certificateIds: ["1ce1"],
    portRules: [
      rule({ hostname: "*.example.com", path: "/api", priority: 1 }),
      rule({ hostname: "example.*" }),
      rule({ sourcePort: 443, protocol: "https" }),
      rule({ sourcePort: 5432, protocol: "tcp", service: undefined, serviceId: "1s4" }),
      { sourcePort: 81, selector: "app=web" },
    ],
  };
  expect(checkLbConfig(lb)).toEqual([80, 443, 5432, 81]);
  expect(validRuleHostname("a.b.example.com")).toBe(true);
  expect(validRuleHostname("*.*.example")).toBe(false);
});

test("bad port rules are refused with the reason", () => {
  refused({ portRules: [rule({ sourcePort: 0 })] }, /sourcePort must be a port/);
  refused({ portRules: [rule({ sourcePort: "80x" })] }, /sourcePort/);
  refused({ portRules: [rule({ targetPort: 70000 })] }, /targetPort/);
  refused({ portRules: [rule({ protocol: "udp" })] }, /udp is not supported/);
  refused({ portRules: [rule({ protocol: "quic" })] }, /protocol must be one of/);
  refused({ portRules: [rule({ hostname: "bad host" })] }, /hostname/);
  refused({ portRules: [rule({ path: "api" })] }, /path must start with \//);
  refused({ portRules: [rule({ priority: 1.5 })] }, /priority/);
  refused({ portRules: [rule({ service: undefined })] }, /needs a target/);
  refused({ portRules: [rule({ protocol: "https" })] }, /needs a certificate/);
  refused({ portRules: [rule({}), rule({ protocol: "tcp" })] }, /one port has one protocol/);
  refused({ portRules: "80" }, /must be a list/);
  refused({ portRules: [null] }, /must be an object/);
});

test("a load balancer service runs the HAProxy image and publishes its source ports", () => {
  const spec = lbServiceSpec({
    kind: "loadBalancerService" as const,
    lbConfig: { portRules: [rule({}), rule({ sourcePort: 8443, protocol: "tcp" })] },
    launchConfig: undefined as LaunchConfig | undefined,
  });
  expect(spec.launchConfig?.imageUuid).toBe(lbImage);
  expect(spec.launchConfig?.ports).toEqual(["80:80/tcp", "8443:8443/tcp"]);
  expect(spec.launchConfig?.labels["io.corral.lb"]).toBe("true");
  // Idempotent, and a port the compose file publishes for a source port keeps its public side.
  expect(lbServiceSpec(spec).launchConfig?.ports).toEqual(["80:80/tcp", "8443:8443/tcp"]);
  const mapped = lbServiceSpec({ ...spec, launchConfig: { ...spec.launchConfig!, ports: ["9000:80"] } });
  expect(mapped.launchConfig?.ports).toEqual(["9000:80", "8443:8443/tcp"]);
});
