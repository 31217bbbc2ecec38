import { internalDnsIp } from "./addresses.ts";

/** Rancher's label that moves the rancher.internal search domains after the container's own, or drops them. */
export const dnsPriorityLabel = "io.rancher.container.dns.priority";

/** The search domains of a container: `svc.stack.rancher.internal stack.rancher.internal rancher.internal`. */
export function internalSearch(stackName: string | null, serviceName: string | null): string[] {
  const out: string[] = [];
  if (stackName && serviceName) out.push(`${serviceName}.${stackName}.rancher.internal`);
  if (stackName) out.push(`${stackName}.rancher.internal`);
  out.push("rancher.internal");
  return out;
}

/** The stack and service names a service container's labels carry (`io.rancher.stack_service.name`). */
export function stackServiceOf(labels: Record<string, string>): {
  stack: string | null;
  service: string | null;
} {
  const both = labels["io.rancher.stack_service.name"];
  const slash = both?.indexOf("/") ?? -1;
  if (both && slash > 0) return { stack: both.slice(0, slash), service: both.slice(slash + 1) };
  return { stack: labels["io.rancher.stack.name"] ?? null, service: null };
}

/**
 * The resolver a managed container gets, as Rancher's network-manager wrote resolv.conf: the host's
 * DNS server (169.254.169.250) only, and the rancher.internal search domains before the container's
 * own (`dns.priority=service_last` puts them after; `None` leaves the container's own settings alone).
 * The container's own `dns` servers are not lost: the host's DNS server recurses to them first
 * (they are in the hostState frame).
 */
export function managedResolver(
  labels: Record<string, string>,
  own: { dns?: string[]; dnsSearch?: string[] },
): { dns?: string[]; dnsSearch?: string[] } {
  const priority = labels[dnsPriorityLabel]?.toLowerCase();
  if (priority === "none") return { dns: own.dns, dnsSearch: own.dnsSearch };
  const { stack, service } = stackServiceOf(labels);
  const internal = internalSearch(stack, service);
  const mine = (own.dnsSearch ?? []).filter((d) => !internal.includes(d));
  const dnsSearch = priority === "service_last" ? [...mine, ...internal] : [...internal, ...mine];
  return { dns: [internalDnsIp], dnsSearch };
}
