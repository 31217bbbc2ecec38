import { AppError } from "@corral/lib";
import type { CorralConfig } from "../config/config-schema.ts";
import { isEnabled } from "./service-config.ts";
import type { ServiceSpec } from "./service-schema.ts";

/**
 * Orders services so each comes after everything in its `after` list (Kahn's algorithm, ties by
 * name so boots are reproducible). Names in `after` that are not in `specs` (disabled or absent
 * services) are ignored: a disabled dependency must not block the rest. A cycle is an error naming it.
 */
export function orderServices(specs: readonly ServiceSpec[]): ServiceSpec[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const deps = new Map(
    specs.map((s) => [s.name, new Set(s.after.filter((d) => byName.has(d) && d !== s.name))]),
  );
  for (const s of specs) {
    if (s.after.includes(s.name)) throw new AppError("InvalidReference", `service ${s.name} is after itself`);
  }
  const ordered: ServiceSpec[] = [];
  const done = new Set<string>();
  while (ordered.length < specs.length) {
    const ready = [...deps.entries()]
      .filter(([name, d]) => !done.has(name) && [...d].every((x) => done.has(x)))
      .map(([name]) => name)
      .sort();
    if (ready.length === 0) {
      const left = [...deps.keys()].filter((n) => !done.has(n));
      throw new AppError(
        "InvalidReference",
        `services depend on each other in a cycle: ${findCycle(left, deps).join(" -> ")}`,
      );
    }
    for (const name of ready) {
      done.add(name);
      ordered.push(byName.get(name)!);
    }
  }
  return ordered;
}

/** One cycle among `left` for the error message (follow the first unfinished dependency until a repeat). */
function findCycle(left: string[], deps: Map<string, Set<string>>): string[] {
  const path: string[] = [];
  let at = left[0]!;
  while (!path.includes(at)) {
    path.push(at);
    at = [...(deps.get(at) ?? [])].find((d) => left.includes(d)) ?? at;
  }
  return [...path.slice(path.indexOf(at)), at];
}

/** The images of enabled services in start order: the order to load shipped images in. */
export function imageOrder(specs: readonly ServiceSpec[], config: CorralConfig): string[] {
  return [...new Set(orderServices(specs.filter((s) => isEnabled(s, config))).map((s) => s.image))];
}
