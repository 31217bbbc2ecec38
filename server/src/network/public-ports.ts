import { AppError } from "@corral/lib";
import type { ContainerFields } from "../model/container.ts";
import type { ProjectFields } from "../model/project.ts";
import { parsePort, presentContainerStates } from "../services/container-spec.ts";
import type { Store } from "../store/store.ts";

/** Rancher's default range for random public ports. */
export const defaultPortRange = { start: 49153, end: 65535 };

/** The public ports (`port/proto`) containers already hold on a host. */
function usedOnHost(store: Store, hostId: string): Set<string> {
  const used = new Set<string>();
  for (const c of store.all<ContainerFields>("container", {
    state: presentContainerStates,
    dataField: ["hostId", hostId],
  })) {
    for (const spec of c.data.ports ?? []) {
      try {
        const p = parsePort(spec);
        if (p.publicPort) used.add(`${p.publicPort}/${p.protocol}`);
      } catch {
        // Stored ports were validated; an unreadable one holds nothing.
      }
    }
  }
  return used;
}

/**
 * Gives every port without a public side ("80", "0:80") a free public port from the environment's
 * range on that host, as Rancher's scheduler did: the answer then shows the endpoint at once, and
 * whichever publishes it (Docker, or the agent's iptables chains for managed containers) binds an
 * explicit port. Run inside the creating transaction, so two creates never take the same port.
 */
export function assignPublicPorts(
  store: Store,
  projectId: string,
  hostId: string,
  ports: string[],
): string[] {
  if (!ports.some((spec) => !parsePort(spec).publicPort)) return ports;
  const project = store.getByPublicId<ProjectFields>("project", projectId);
  const range = project?.data.servicesPortRange
    ? { start: project.data.servicesPortRange.startPort, end: project.data.servicesPortRange.endPort }
    : defaultPortRange;
  const used = usedOnHost(store, hostId);
  return ports.map((spec) => {
    const p = parsePort(spec);
    if (p.publicPort) return spec;
    const size = range.end - range.start + 1;
    const offset = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i++) {
      const port = range.start + ((offset + i) % size);
      if (used.has(`${port}/${p.protocol}`)) continue;
      used.add(`${port}/${p.protocol}`);
      return `${p.bindAddress ? `${p.bindAddress}:` : ""}${port}:${p.privatePort}/${p.protocol}`;
    }
    throw new AppError(
      "InvalidState",
      `no free public port left in ${range.start}-${range.end} on host ${hostId}`,
    );
  });
}
