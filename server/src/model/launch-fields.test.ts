// Every launch config field makes the whole trip: a container create accepts it, the container row
// keeps it, the agent's spec carries it (unless the table says only the server uses it), and compose
// export writes it so that parsing the export gives it back. Samples come from the schema itself
// (a non-default value of the field's type), so a plain new field needs no change here: adding it to
// launchConfigSchema and one entry to model/launch-fields.ts is the whole change.
import { describe, expect, test } from "bun:test";
import {
  containerCreateSchema,
  instanceSpecSchema,
  type LaunchConfig,
  launchConfigSchema,
  type ServiceSpec,
  serviceSpecSchema,
} from "@corral/api";
import type { z } from "zod";
import { exportStack, parseStack } from "../compose/index.ts";
import { instanceSpec, newContainerFields } from "../services/container-spec.ts";
import { containerLaunchConfig } from "../services/containers.ts";
import type { ContainerFields } from "./container.ts";
import { launchApiFields, launchFields } from "./launch-fields.ts";

type Field = keyof LaunchConfig;

/** Values the schema's type alone cannot make meaningful (compose reads these with their syntax). */
const overrides: Partial<Record<Field, Partial<LaunchConfig>>> = {
  imageUuid: { imageUuid: "docker:sample/image:2" },
  ports: { ports: ["8090:90/tcp"] },
  expose: { expose: ["8080/tcp"] },
  dataVolumes: { dataVolumes: ["/sample"] },
  // A template goes with the named volume it makes (compose: a top-level volume).
  volumeTemplates: {
    dataVolumes: ["data:/d"],
    volumeTemplates: { data: { driver: "local", driverOpts: { type: "tmpfs" }, perContainer: true } },
  },
  // volumes_from names another service of the stack (see `others` below).
  dataVolumesFrom: { dataVolumesFrom: ["db"] },
  networkMode: { networkMode: "host" },
  extraHosts: { extraHosts: ["db.example:10.0.0.9"] },
  restartPolicy: { restartPolicy: { name: "on-failure", maximumRetryCount: 3 } },
  logConfig: { logConfig: { driver: "syslog", config: { tag: "sample" } } },
  healthCheck: {
    healthCheck: launchConfigSchema.shape.healthCheck.parse({ port: 8080, requestLine: "GET /healthz" }),
  },
  ulimits: { ulimits: [{ name: "nofile", soft: 1024, hard: 4096 }] },
  sysctls: { sysctls: { "net.core.somaxconn": "512" } },
  tmpfs: { tmpfs: { "/run": "size=8m", "/scratch": "" } },
  securityOpt: { securityOpt: ["no-new-privileges"] },
  secrets: { secrets: [{ secretId: "db-password", name: "db", uid: "1000", gid: "1000", mode: "0400" }] },
  // Sidekick references need the unit's other member, named `side`.
  name: { name: "side" },
  networkLaunchConfig: { networkMode: "container", networkLaunchConfig: "side" },
  dataVolumesFromLaunchConfigs: { dataVolumesFromLaunchConfigs: ["side"] },
};

/** A value of the schema's type that differs from its default. */
function sampleOf(field: string, schema: z.core.$ZodType): unknown {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case "optional":
    case "default":
      return sampleOf(field, def.innerType as z.core.$ZodType);
    case "string":
      return `sample-${field.toLowerCase()}`;
    case "boolean":
      return true;
    case "number":
      return 7;
    case "array":
      return [sampleOf(field, def.element as z.core.$ZodType)];
    case "record":
      return { [`sample-${field.toLowerCase()}`]: "v" };
    case "enum":
      // The last option: enums here list their default first.
      return Object.values(def.entries as Record<string, string>).at(-1);
  }
  throw new Error(`no sample for ${field} (${def.type}): give one in overrides`);
}

const shape = launchConfigSchema.shape as Record<Field, z.core.$ZodType>;
const base = launchConfigSchema.parse({ imageUuid: "docker:busybox" });
const fields = Object.keys(shape) as Field[];

function withField(field: Field): LaunchConfig {
  return launchConfigSchema.parse({
    ...base,
    ...(overrides[field] ?? { [field]: sampleOf(field, shape[field]) }),
  });
}

/** The row of a container made from `lc` (off the managed network, so its own resolver counts). */
function rowOf(lc: LaunchConfig): ContainerFields {
  return newContainerFields(lc, {
    hostId: "1h1",
    ports: lc.ports,
    labels: lc.labels,
    nameOf: (member) => `unit-${member}`,
    // Resolution to containers of the environment is volumes-from.ts's: here the entries stand.
    volumesFrom: lc.dataVolumesFrom,
    address: null,
    startOnCreate: true,
    transitioningMessage: "",
  });
}

const specOf = (row: ContainerFields) => instanceSpecSchema.parse(instanceSpec("1i1", "1a1", "c1", row));

/** The field's launch config deployed as compose, exported and parsed back. */
function roundTrip(field: Field, lc: LaunchConfig): LaunchConfig {
  const side = launchConfigSchema.parse({ imageUuid: "docker:busybox", name: "side" });
  const unit = ["name", "networkLaunchConfig", "dataVolumesFromLaunchConfigs"].includes(field);
  const web: ServiceSpec = serviceSpecSchema.parse({
    name: "web",
    launchConfig: field === "name" ? base : lc,
    secondaryLaunchConfigs: unit ? [field === "name" ? lc : side] : [],
  });
  const others =
    field === "dataVolumesFrom" ? [serviceSpecSchema.parse({ name: "db", launchConfig: base })] : [];
  const files = exportStack({ services: [web, ...others], volumes: {} });
  const parsed = parseStack({ dockerCompose: files.dockerCompose, rancherCompose: files.rancherCompose });
  const again = parsed.spec.services.find((s) => s.name === "web")!;
  return field === "name" ? again.secondaryLaunchConfigs[0]! : again.launchConfig!;
}

const baseRow = rowOf(base);
const baseSpec = specOf(baseRow);

describe.each(fields)("%s", (field) => {
  const rule = launchFields[field];
  const lc = withField(field);

  test("has a non-default sample", () => {
    expect(lc).not.toEqual(base);
  });

  if (rule.row === "same") {
    test("a container create takes it", () => {
      const { name: _n, networkLaunchConfig: _l, dataVolumesFromLaunchConfigs: _d, ...body } = lc;
      expect(containerLaunchConfig(containerCreateSchema.parse(body))).toEqual(lc);
      expect(Object.keys(launchApiFields())).toContain(field);
    });
  } else {
    test("a container create has no unit to refer to", () => {
      // `name` of a container create is the container's own name, never a sidekick's.
      const body = { imageUuid: base.imageUuid, [field]: lc[field] };
      if (field === "name")
        expect(containerLaunchConfig(containerCreateSchema.parse(body)).name).toBeUndefined();
      else expect(containerCreateSchema.safeParse(body).success).toBe(false);
      expect(Object.keys(launchApiFields())).not.toContain(field);
    });
  }

  test("the row keeps it", () => {
    const row = rowOf(lc);
    if (rule.row === "same") expect((row as unknown as Record<string, unknown>)[field]).toEqual(lc[field]);
    // Unit references are resolved to the Docker names of the unit's members.
    else if (field === "networkLaunchConfig") expect(row.networkMode).toBe("container:unit-side");
    else if (field === "dataVolumesFromLaunchConfigs") expect(row.volumesFrom).toEqual(["unit-side"]);
    else expect(row).toEqual(baseRow);
  });

  test(`the agent's spec ${rule.spec === "none" ? "leaves it out" : "carries it"}`, () => {
    const spec = specOf(rowOf(lc));
    if (rule.spec === "same") expect((spec as Record<string, unknown>)[field]).toEqual(lc[field]);
    else if (rule.spec === "built") expect(spec).not.toEqual(baseSpec);
    else expect(spec).toEqual(baseSpec);
  });

  test("compose export writes it and parsing gives it back", () => {
    const again = roundTrip(field, lc);
    expect(again[field]).toEqual(lc[field]);
    if (!["name", "networkLaunchConfig", "dataVolumesFromLaunchConfigs"].includes(field))
      expect(again).toEqual(lc);
  });
});

test("the table covers exactly the launch config's fields", () => {
  expect(Object.keys(launchFields).sort()).toEqual([...fields].sort());
});

test("a health check starts the row initializing; the pull_image label wins over pullPolicy", () => {
  const lc = withField("healthCheck");
  const row = rowOf({ ...lc, labels: { "io.rancher.container.pull_image": "always" } });
  expect(row).toMatchObject({
    healthState: "initializing",
    pullPolicy: "always",
    hostId: "1h1",
    startCount: 0,
  });
});
