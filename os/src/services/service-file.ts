import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseYamlSource, sourceError, zodProblems } from "../yaml-source.ts";
import { type ServiceSpec, serviceNameSchema, serviceSchema, toServiceSpec } from "./service-schema.ts";

/** Parses the text of one service.yml; throws InvalidFormat with file:line:column on any problem. */
export function parseServiceFile(name: string, text: string, file: string): ServiceSpec {
  const source = parseYamlSource(text, file);
  const nameCheck = serviceNameSchema.safeParse(name);
  if (!nameCheck.success) {
    throw sourceError([
      { file, line: 1, column: 1, reason: `folder name '${name}': ${nameCheck.error.issues[0]?.message}` },
    ]);
  }
  const parsed = serviceSchema.safeParse(source.value ?? {});
  if (!parsed.success) throw sourceError(zodProblems(source, parsed.error.issues));
  return toServiceSpec(name, parsed.data);
}

/** Reads every `<dir>/<name>/service.yml`, sorted by name; folders without one are skipped. */
export function loadServiceDir(dir: string): ServiceSpec[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  const specs: ServiceSpec[] = [];
  for (const name of names) {
    const file = join(dir, name, "service.yml");
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    specs.push(parseServiceFile(name, text, file));
  }
  return specs;
}
