import type { StackSpec } from "@corral/api";
import { assemble } from "./assemble.ts";
import { parseDockerCompose } from "./docker-compose.ts";
import { interpolateTree, type Lookup } from "./interpolate.ts";
import { Diagnostics, FileReporter, fileStart } from "./issues.ts";
import { catalogDefaults, parseRancherCompose } from "./rancher-compose.ts";
import { maxSpecBytes, overSizeAt } from "./spec-size.ts";
import { buildUnits } from "./units.ts";
import { applyVolumeTemplates } from "./volumes.ts";
import { loadYaml, type YNode } from "./yaml-tree.ts";

/** Input of {@link parseStack}. */
export interface ParseStackInput {
  dockerCompose?: string;
  rancherCompose?: string;
  /** Variables for `${VAR}` (catalog answers, or the deploying user's environment). */
  environment?: Record<string, string>;
  /** File names used in messages. */
  files?: { docker?: string; rancher?: string };
}

/** A parsed stack and the notes about what was ignored or substituted. */
export interface ParseStackResult {
  spec: StackSpec;
  warnings: string[];
}

const empty: YNode = { kind: "scalar", value: null, pos: { line: 1, column: 1 }, path: "" };

/** See index.ts: the whole pipeline, collecting every issue before throwing. */
export function parseStackImpl(input: ParseStackInput): ParseStackResult {
  const diags = new Diagnostics();
  const docker = new FileReporter(diags, input.files?.docker ?? "docker-compose.yml");
  const rancher = new FileReporter(diags, input.files?.rancher ?? "rancher-compose.yml");
  const dockerRaw = input.dockerCompose === undefined ? empty : loadYaml(input.dockerCompose, docker);
  const rancherRaw = input.rancherCompose === undefined ? empty : loadYaml(input.rancherCompose, rancher);
  // Loading errors make the rest meaningless (and an alias bomb must not be walked at all).
  diags.throwIfAny();
  const env = input.environment ?? {};
  const defaults = rancherRaw ? catalogDefaults(rancherRaw) : {};
  const lookup: Lookup = (name) =>
    Object.hasOwn(env, name) ? env[name] : Object.hasOwn(defaults, name) ? defaults[name] : undefined;
  const dockerTree = interpolateTree(dockerRaw ?? empty, lookup, docker);
  const rancherTree = interpolateTree(rancherRaw ?? empty, lookup, rancher);
  const dc = parseDockerCompose(docker, dockerTree, lookup);
  const rancherEntries = parseRancherCompose(rancher, rancherTree);
  applyVolumeTemplates(docker, dc.drafts, dc.volumes);
  const units = buildUnits(docker, dc.drafts);
  const sidekickNames = new Set(units.flatMap((u) => u.sidekicks.map((s) => s.name)));
  const spec = assemble({
    docker,
    rancher,
    units,
    sidekickNames,
    declared: dc.declared,
    rancherEntries,
    volumes: dc.volumes,
  });
  diags.throwIfAny();
  if (!spec) throw new Error("compose: no spec and no issue (a bug)");
  const over = overSizeAt(spec);
  if (over !== null) {
    docker.error(
      fileStart,
      `the stack expands to more than ${maxSpecBytes} bytes (reached at ${over.slice(0, 200)})`,
    );
    diags.throwIfAny();
  }
  return { spec, warnings: diags.warnings };
}
