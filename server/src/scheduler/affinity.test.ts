import { describe, expect, test } from "bun:test";
import { hostIps, parseAffinityLabels, parseLabelTerms } from "./affinity.ts";

const A = "io.rancher.scheduler.affinity:";

describe("parseAffinityLabels", () => {
  const cases: [string, Record<string, string>, [string, boolean, boolean, string][]][] = [
    ["host_label hard", { [`${A}host_label`]: "disk=ssd" }, [["host_label", true, false, "disk=ssd"]]],
    ["host_label_ne", { [`${A}host_label_ne`]: "zone=a" }, [["host_label", true, true, "zone=a"]]],
    ["host_label_soft", { [`${A}host_label_soft`]: "zone=a" }, [["host_label", false, false, "zone=a"]]],
    ["host_label_soft_ne", { [`${A}host_label_soft_ne`]: "zone=a" }, [["host_label", false, true, "zone=a"]]],
    [
      "comma list gives one rule per term",
      { [`${A}host_label`]: "a=1, b=2,,c=3" },
      [
        ["host_label", true, false, "a=1"],
        ["host_label", true, false, "b=2"],
        ["host_label", true, false, "c=3"],
      ],
    ],
    [
      "container_label is not mistaken for container",
      { [`${A}container_label_soft_ne`]: "app=db" },
      [["container_label", false, true, "app=db"]],
    ],
    ["container name", { [`${A}container_ne`]: "Web-1" }, [["container", true, true, "web-1"]]],
    [
      "keys and values lowercased",
      { "IO.RANCHER.SCHEDULER.AFFINITY:HOST_LABEL": "Disk=SSD" },
      [["host_label", true, false, "disk=ssd"]],
    ],
    ["unknown suffix ignored", { [`${A}host_label_maybe`]: "a=1" }, []],
    ["unrelated labels ignored", { "io.rancher.scheduler.global": "true", foo: "bar" }, []],
    ["empty value ignored", { [`${A}host_label`]: "" }, []],
    [
      "service name without stack gets own stack",
      { [`${A}container_label_ne`]: "io.rancher.stack_service.name=web", "io.rancher.stack.name": "shop" },
      [["container_label", true, true, "io.rancher.stack_service.name=shop/web"]],
    ],
    [
      "macros expanded",
      {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Cattle's macro syntax, not a JS template.
        [`${A}container_label_soft_ne`]: "io.rancher.stack_service.name=${stack_name}/${service_name}",
        "io.rancher.stack.name": "Shop",
        "io.rancher.stack_service.name": "Shop/Web",
      },
      [["container_label", false, true, "io.rancher.stack_service.name=shop/web"]],
    ],
  ];
  test.each(cases)("%s", (_name, labels, want) => {
    const got = parseAffinityLabels(labels).map((r) => [r.kind, r.hard, r.negate, r.term]);
    expect(got).toEqual(want);
  });

  test("label name kept for reasons", () => {
    expect(parseAffinityLabels({ [`${A}host_label_soft`]: "a=1" })[0]!.label).toBe(`${A}host_label_soft`);
  });
});

describe("parseLabelTerms / hostIps", () => {
  test("require_any terms, key-only allowed", () => {
    expect(parseLabelTerms("role=web, Tier ,a=")).toEqual([
      { key: "role", value: "web" },
      { key: "tier", value: null },
      { key: "a", value: "" },
    ]);
  });
  test("ips label plus 0.0.0.0, deduplicated", () => {
    expect(hostIps({ "io.rancher.scheduler.ips": "10.0.0.1, 10.0.0.2,10.0.0.1,0.0.0.0" })).toEqual([
      "10.0.0.1",
      "10.0.0.2",
      "0.0.0.0",
    ]);
    expect(hostIps({})).toEqual(["0.0.0.0"]);
  });
});
