import { describe, expect, test } from "bun:test";
import { launchConfigSchema, stackVolumeSchema } from "@corral/api";
import { stackVolumeNames, withStackVolumes } from "./stack-volumes.ts";

const vol = (v: object) => stackVolumeSchema.parse(v);

describe("stack-scoped volume names", () => {
  test("only volumes the stack owns get <stack>_<volume>_<random>; known names stay", () => {
    const volumes = {
      data: vol({}),
      shared: vol({ external: true }),
      own: vol({ perContainer: true }),
      logs: vol({ driver: "local" }),
    };
    const names = stackVolumeNames("Web-Stack", volumes);
    expect(Object.keys(names).sort()).toEqual(["data", "logs"]);
    expect(names.data).toMatch(/^Web-Stack_data_[a-z0-9]{5}$/);
    expect(stackVolumeNames("Web-Stack", volumes, names)).toEqual(names);
    // Names of volumes an upgrade dropped are kept: a rollback mounts the same data again.
    expect(stackVolumeNames("Web-Stack", {}, names)).toEqual(names);
  });

  test("mounts and templates of owned volumes are renamed; others pass as written", () => {
    const lc = launchConfigSchema.parse({
      imageUuid: "docker:busybox",
      dataVolumes: ["data:/d:ro", "database:/db", "/host/data:/h", "shared:/s", "/anon"],
      volumeTemplates: { data: { driver: "local", driverOpts: { type: "tmpfs" } } },
    });
    const out = withStackVolumes(lc, { data: "s_data_abcde" });
    expect(out.dataVolumes).toEqual([
      "s_data_abcde:/d:ro",
      "database:/db",
      "/host/data:/h",
      "shared:/s",
      "/anon",
    ]);
    expect(Object.keys(out.volumeTemplates ?? {})).toEqual(["s_data_abcde"]);
    expect(lc.dataVolumes[0]).toBe("data:/d:ro");
    expect(withStackVolumes(lc, {})).toBe(lc);
  });
});
