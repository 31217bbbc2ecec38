import type { FileReporter } from "./issues.ts";
import type { YNode } from "./yaml-tree.ts";

/** A dependency edge between services, with the node that declares it. */
export interface Edge {
  from: string;
  to: string;
  node: YNode;
}

/**
 * Reports every cycle among links, depends_on, volumes_from and network_mode references: such a
 * stack could never start (each service waits for the other). Each cycle is reported once, at the
 * reference that closes it, with the whole path.
 */
export function reportCycles(r: FileReporter, names: string[], edges: Edge[]): void {
  const out = new Map<string, Edge[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, "visiting");
    stack.push(name);
    for (const e of out.get(name) ?? []) {
      const s = state.get(e.to);
      if (s === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(e.to)), e.to];
        r.error(e.node, `dependency cycle: ${cycle.join(" -> ")}`);
      } else if (s === undefined) visit(e.to);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const n of names) if (!state.has(n)) visit(n);
}
