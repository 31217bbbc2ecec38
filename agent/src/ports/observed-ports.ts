import type { ContainerObservation, PortBinding } from "@corral/api";
import type { DockerDriver } from "../driver.ts";

/** The ports a managed container publishes through Corral's chains, or undefined when none. */
export type PublishedPortsLookup = (containerId: string) => PortBinding[] | undefined;

/**
 * Wraps a driver so that observations of managed containers carry the ports the port controller
 * publishes for them (random ones included). Docker knows nothing of these publications, yet the
 * server stores a container's public endpoints from the `ports` of its observations (hello, pings,
 * replies), so they are filled in here, where every observation passes.
 */
export function withPublishedPorts(driver: DockerDriver, lookup: PublishedPortsLookup): DockerDriver {
  const fill = (o: ContainerObservation): ContainerObservation => {
    const ports = lookup(o.containerId);
    return ports ? { ...o, ports } : o;
  };
  const overrides: Partial<DockerDriver> = {
    list: async () => (await driver.list()).map(fill),
    find: async (ref) => {
      const found = await driver.find(ref);
      return found && fill(found);
    },
    create: async (spec, hostId) => fill(await driver.create(spec, hostId)),
    inspect: async (dockerId) => fill(await driver.inspect(dockerId)),
  };
  // A proxy rather than a spread: a driver may be a class instance whose methods live on its prototype.
  return new Proxy(driver, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof DockerDriver];
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
