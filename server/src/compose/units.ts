import type { ServiceLink } from "@corral/api";
import type { Draft } from "./draft.ts";
import { type Edge, reportCycles } from "./graph.ts";
import type { FileReporter } from "./issues.ts";

/** A deployment unit: a primary service and its sidekicks, with references resolved. */
export interface Unit {
  primary: Draft;
  sidekicks: Draft[];
  links: ServiceLink[];
  externalLinks: ServiceLink[];
  dependsOn: string[];
}

/** Groups drafts into units by `io.rancher.sidekicks`; reports missing and doubly-claimed sidekicks. */
function group(r: FileReporter, drafts: Draft[]): Map<string, string> {
  const byName = new Map(drafts.map((d) => [d.name, d]));
  const owner = new Map<string, string>(); // sidekick -> primary
  for (const d of drafts) {
    for (const s of d.sidekicks ?? []) {
      const side = byName.get(s.name);
      if (s.name === d.name) r.error(s.node, `service ${d.name} cannot be its own sidekick`);
      else if (!side) r.error(s.node, `sidekick ${s.name} of ${d.name} is not a service in this file`);
      else if (owner.has(s.name))
        r.error(s.node, `sidekick ${s.name} is claimed by both ${owner.get(s.name)} and ${d.name}`);
      else if (side.sidekicks?.length)
        r.error(s.node, `sidekick ${s.name} declares sidekicks itself; nesting is not supported`);
      else owner.set(s.name, d.name);
    }
  }
  return owner;
}

/**
 * Folds sidekicks into their primaries and resolves every service reference: volumes_from and
 * network_mode within a unit become dataVolumesFromLaunchConfigs / networkLaunchConfig (Rancher
 * co-schedules a unit on one host, so only there can containers share volumes and namespaces).
 */
export function buildUnits(r: FileReporter, drafts: Draft[]): Unit[] {
  const owner = group(r, drafts);
  const names = new Set(drafts.map((d) => d.name));
  const unitOf = (name: string): string => owner.get(name) ?? name;
  const edges: Edge[] = [];
  // Checks a reference to another unit's service: it must exist and not be a sidekick.
  const other = (from: Draft, name: string, node: Edge["node"], what: string): boolean => {
    if (!names.has(name)) r.error(node, `${what} unknown service "${name}"`);
    else if (owner.has(name))
      r.error(node, `${what} "${name}", a sidekick of ${owner.get(name)}; refer to ${owner.get(name)}`);
    else {
      // Between units the unit is what waits, whichever of its containers holds the reference.
      edges.push({ from: unitOf(from.name), to: name, node });
      return true;
    }
    return false;
  };
  const units = new Map<string, Unit>();
  for (const d of drafts)
    if (!owner.has(d.name))
      units.set(d.name, { primary: d, sidekicks: [], links: [], externalLinks: [], dependsOn: [] });
  for (const d of drafts) {
    const unit = units.get(unitOf(d.name));
    if (!unit) continue;
    if (unit.primary !== d) d.lc.name = d.name;
    const same = (name: string) => names.has(name) && unitOf(name) === unit.primary.name;
    for (const v of d.volumesFrom) {
      if (v.name === d.name) r.error(v.node, "a service cannot mount its own volumes");
      else if (same(v.name)) {
        d.lc.dataVolumesFromLaunchConfigs = [...(d.lc.dataVolumesFromLaunchConfigs ?? []), v.name];
        edges.push({ from: d.name, to: v.name, node: v.node });
      } else if (other(d, v.name, v.node, "volumes_from"))
        d.lc.dataVolumesFrom = [...(d.lc.dataVolumesFrom ?? []), v.name];
    }
    if (d.networkRef) {
      const t = d.networkRef.name;
      if (t === d.name) r.error(d.networkRef.node, "a service cannot join its own network namespace");
      else if (same(t)) {
        d.lc.networkMode = "container";
        d.lc.networkLaunchConfig = t;
        edges.push({ from: d.name, to: t, node: d.networkRef.node });
      } else if (names.has(t))
        r.error(
          d.networkRef.node,
          `network_mode: ${t} is not in the same unit; make it a sidekick (io.rancher.sidekicks)`,
        );
      else r.error(d.networkRef.node, `network_mode refers to unknown service "${t}"`);
    }
    for (const l of d.links) {
      if (l.name === d.name) r.error(l.node, `dependency cycle: ${d.name} -> ${d.name} (links to itself)`);
      if (same(l.name)) continue; // a unit reaches its own containers without links
      if (
        other(d, l.name, l.node, "links to") &&
        !unit.links.some((x) => x.target === l.name && x.alias === l.alias)
      )
        unit.links.push(l.alias === undefined ? { target: l.name } : { target: l.name, alias: l.alias });
    }
    for (const x of d.externalLinks)
      if (!unit.externalLinks.some((y) => y.target === x.target && y.alias === x.alias))
        unit.externalLinks.push(x);
    for (const dep of d.dependsOn) {
      if (dep.name === d.name)
        r.error(dep.node, `dependency cycle: ${d.name} -> ${d.name} (depends on itself)`);
      if (same(dep.name)) continue;
      if (other(d, dep.name, dep.node, "depends_on") && !unit.dependsOn.includes(dep.name))
        unit.dependsOn.push(dep.name);
    }
  }
  // Sidekicks keep the order the label gives them: that is the order Rancher started them in.
  for (const unit of units.values())
    for (const s of unit.primary.sidekicks ?? []) {
      const side = drafts.find((d) => d.name === s.name);
      if (side && owner.get(s.name) === unit.primary.name) unit.sidekicks.push(side);
    }
  reportCycles(r, [...names], edges);
  return [...units.values()];
}
