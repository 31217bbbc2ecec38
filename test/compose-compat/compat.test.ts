/**
 * Compose compatibility suite: small real-shaped stacks (compose v1, v2, v2.1, v3.x, the compose
 * specification, rancher-compose v1 and v2), each with the services, launch configs and volumes
 * it must produce. A case is one YAML file in cases/: `docker-compose.yml` and
 * `rancher-compose.yml` (text), `environment`, then either `expect` (matched against the parsed
 * stack: services by name, each object matched partially, lists whole) with `warnings` (each
 * must appear in one warning; `[]` means none at all), or `refused` (the message must contain it).
 * `source` says which tool accepted the file as it is. The last test prints the share accepted.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StackSpec } from "@corral/api";
import { AppError } from "@corral/lib";
import { parse } from "yaml";
import { parseStack } from "../../server/src/compose/index.ts";

interface CompatCase {
  source: string;
  "docker-compose.yml"?: string;
  "rancher-compose.yml"?: string;
  environment?: Record<string, string>;
  expect?: { services?: Record<string, unknown>[]; volumes?: Record<string, unknown> };
  warnings?: string[];
  refused?: string;
}

const dir = join(import.meta.dir, "cases");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yml"))
  .sort();
const tally = { accepted: 0, refused: 0 };

function check(c: CompatCase, spec: StackSpec, warnings: string[]): void {
  for (const want of c.expect?.services ?? []) {
    const got = spec.services.find((s) => s.name === want.name);
    expect(got, `service ${String(want.name)}`).toBeDefined();
    expect(got).toMatchObject(want);
  }
  expect(spec.services.map((s) => s.name).sort()).toEqual(
    (c.expect?.services ?? []).map((s) => String(s.name)).sort(),
  );
  if (c.expect?.volumes) expect(spec.volumes).toEqual(c.expect.volumes as StackSpec["volumes"]);
  if (c.warnings?.length === 0) expect(warnings).toEqual([]);
  for (const w of c.warnings ?? []) expect(warnings.join("\n")).toContain(w);
}

describe("compose compatibility", () => {
  for (const file of files) {
    const c = parse(readFileSync(join(dir, file), "utf8")) as CompatCase;
    test(`${file} (${c.source})`, () => {
      expect(c.expect !== undefined || c.refused !== undefined).toBe(true);
      let result: ReturnType<typeof parseStack> | undefined;
      let error: AppError | undefined;
      try {
        result = parseStack({
          dockerCompose: c["docker-compose.yml"],
          rancherCompose: c["rancher-compose.yml"],
          environment: c.environment,
        });
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        error = e;
      }
      if (c.refused !== undefined) {
        expect(error?.message ?? "accepted").toContain(c.refused);
        tally.refused++;
        return;
      }
      if (error) throw new Error(`refused:\n${error.message}`);
      check(c, result!.spec, result!.warnings);
      tally.accepted++;
    });
  }

  afterAll(() => {
    const total = tally.accepted + tally.refused;
    const share = total === 0 ? 0 : Math.round((1000 * tally.accepted) / total) / 10;
    console.log(
      `compose compatibility: ${tally.accepted} of ${total} files accepted (${share}%), ${tally.refused} refused as expected`,
    );
  });
});
