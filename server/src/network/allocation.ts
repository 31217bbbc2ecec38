import { formatId } from "@corral/api";
import { AppError } from "@corral/lib";
import type { ContainerNetworkFields } from "../model/container.ts";
import type { HostFields } from "../model/host.ts";
import type { Store } from "../store/store.ts";
import { AddressIndex } from "./address-index.ts";
import {
  assignable,
  firstFree,
  inSubnet,
  ipToInt,
  managedCidr,
  parseCidr,
  sliceAt,
  sliceCount,
  slicePrefix,
} from "./addresses.ts";

/**
 * Managed network addressing. Every host of an environment gets a /24 slice of 10.42.0.0/16 the first
 * time it needs one (kept in the host row while the host exists); every container on the managed
 * network gets the first free address of its host's slice when its record is made. Everything here
 * runs inside the caller's store transaction, so two creates can never take the same address: the
 * taken set is read and the new row written in one SQLite transaction.
 */

/** Label that pins a container's address (Rancher's). */
export const requestedIpLabel = "io.rancher.container.requested_ip";

/** Host data fields this module keeps. */
export interface HostNetworkFields {
  /** The host's slice of the managed range, e.g. 10.42.3.0/24. */
  hostSubnet?: string;
}

/** Service data field: retained addresses per slot (`retain_ip`). */
export interface ServiceNetworkFields {
  retainedIps?: Record<string, string>;
}

/** A network mode that puts the container on the managed network. */
export function isManaged(networkMode: string | undefined): boolean {
  return (networkMode ?? "managed") === "managed";
}

/** The host's slice, allocating the first free one of the environment when it has none yet. */
export function ensureHostSlice(store: Store, hostId: string): string {
  return store.transaction(() => {
    const host = store.getByPublicId<HostFields & HostNetworkFields>("host", hostId);
    if (!host) throw new AppError("InvalidReference", `host ${hostId} not found`);
    if (host.data.hostSubnet) return host.data.hostSubnet;
    const used = new Set(
      store.db
        .query<{ s: string }, [string]>(
          `SELECT json_extract(data, '$.hostSubnet') AS s FROM resource
           WHERE type = 'host' AND project_id = ? AND state != 'removed'
             AND json_extract(data, '$.hostSubnet') IS NOT NULL`,
        )
        .all(host.projectId ?? "")
        .map((r) => r.s),
    );
    for (let i = 0; i < sliceCount(managedCidr); i++) {
      const slice = sliceAt(managedCidr, i);
      if (used.has(slice)) continue;
      store.update(host.id, { data: { hostSubnet: slice } });
      return slice;
    }
    throw new AppError(
      "InvalidState",
      `environment ${host.projectId} has no free /24 left in ${managedCidr}`,
    );
  });
}

/** Containers (not removed) holding `ip` on a host, with their states (from the address index). */
export function holdersOf(store: Store, hostId: string, ip: string): { id: number; state: string }[] {
  const out: { id: number; state: string }[] = [];
  for (const id of AddressIndex.of(store).holders(hostId, ip)) {
    const row = store.get(id);
    if (row && row.state !== "removed") out.push({ id, state: row.state });
  }
  return out;
}

/**
 * Addresses of a host's slice in use: held by a container (from the address index, never a scan
 * of the host's rows), retained by a service, or refused by Docker as held by something else.
 */
export function takenAddresses(store: Store, projectId: string, hostId: string, subnet: string): Set<string> {
  const taken = AddressIndex.of(store).taken(hostId);
  for (const ip of retainedAddresses(store, projectId)) if (inSubnet(ip, subnet)) taken.add(ip);
  for (const ip of foreignAddresses(store, hostId)) taken.add(ip);
  return taken;
}

/** How many container addresses a host's slice has, and how many are in use now. */
export function addressUse(
  store: Store,
  projectId: string,
  host: { id: string; subnet: string | undefined },
): { capacity: number; inUse: number } {
  const capacity = assignableCount();
  if (!host.subnet) return { capacity, inUse: 0 };
  // The slice is parsed once, not once per address (this runs for every host at every pass).
  const slice = parseCidr(host.subnet);
  const inSlice = (ip: string) => {
    const offset = (ipToInt(ip) ?? -1) - slice.base;
    return offset > 1 && offset < slice.size - 1;
  };
  const held = AddressIndex.of(store).committedHeld(host.id);
  if (!held) {
    let inUse = 0;
    for (const ip of takenAddresses(store, projectId, host.id, host.subnet)) if (inSlice(ip)) inUse++;
    return { capacity, inUse };
  }
  // A container's managed address always comes from its host's slice (a host keeps its slice
  // while it exists), so the committed ones count as they are, without parsing each.
  let inUse = held.size;
  const extra = new Set<string>();
  for (const ip of retainedAddresses(store, projectId)) if (!held.has(ip) && inSlice(ip)) extra.add(ip);
  for (const ip of foreignAddresses(store, host.id)) if (!held.has(ip) && inSlice(ip)) extra.add(ip);
  inUse += extra.size;
  return { capacity, inUse };
}

/** Assignable addresses of one host slice: a /24 gives 253 (.0, .1 and .255 are reserved). */
export function assignableCount(): number {
  return 2 ** (32 - slicePrefix) - 3;
}

/**
 * Addresses Docker refused on a host because something else holds them there (containers of an
 * earlier install, or made by hand on the managed bridge). They are skipped from then on, so a
 * replacement gets another address instead of failing on the same one again.
 */
function foreignAddresses(store: Store, hostId: string): string[] {
  const host = store.getByPublicId<{ foreignIps?: string[] }>("host", hostId);
  return host?.data.foreignIps ?? [];
}

/** Records that Docker refused `ip` on `hostId` as already in use (see foreignAddresses). */
export function markForeignAddress(store: Store, hostId: string, ip: string): void {
  const host = store.getByPublicId<{ foreignIps?: string[] }>("host", hostId);
  if (!host || host.data.foreignIps?.includes(ip)) return;
  // Bounded: a slice has 253 usable addresses.
  store.update(host.id, { data: { foreignIps: [...(host.data.foreignIps ?? []), ip].slice(-253) } });
}

function retainedAddresses(store: Store, projectId: string): string[] {
  return store.db
    .query<{ r: string }, [string]>(
      `SELECT json_extract(data, '$.retainedIps') AS r FROM resource
       WHERE type = 'service' AND project_id = ? AND state != 'removed'
         AND json_extract(data, '$.retainedIps') IS NOT NULL`,
    )
    .all(projectId)
    .flatMap((row) => Object.values(JSON.parse(row.r) as Record<string, string>));
}

/** What an allocation gives a container record. */
export interface Allocation {
  managedIp: string;
  managedSubnet: string;
}

/**
 * Allocates an address on `hostId` for a new container: the requested one (checked: inside the
 * slice, assignable, free) or the first free one. Throws InvalidOption with the reason otherwise.
 */
export function allocateAddress(
  store: Store,
  projectId: string,
  hostId: string,
  requestedIp?: string,
): Allocation {
  return store.transaction(() => {
    const subnet = ensureHostSlice(store, hostId);
    const taken = takenAddresses(store, projectId, hostId, subnet);
    if (requestedIp) {
      checkRequested(requestedIp, subnet, hostId, taken);
      return { managedIp: requestedIp, managedSubnet: subnet };
    }
    const ip = firstFree(subnet, taken);
    if (!ip) throw new AppError("InvalidState", `host ${hostId} has no free address left in ${subnet}`);
    return { managedIp: ip, managedSubnet: subnet };
  });
}

function checkRequested(ip: string, subnet: string, hostId: string, taken: Set<string>): void {
  if (!assignable(ip, subnet)) {
    throw new AppError(
      "InvalidOption",
      `${requestedIpLabel}=${ip}: the address is not assignable on host ${hostId}, whose slice is ${subnet} (.0, .1 and .255 are reserved)`,
      { detail: { field: "labels" } },
    );
  }
  if (taken.has(ip)) {
    throw new AppError("InvalidOption", `${requestedIpLabel}=${ip}: the address is already in use`, {
      detail: { field: "labels" },
    });
  }
}

/** An allocation for a unit member of a `retain_ip` service, with the slot it belongs to. */
export interface UnitAllocation extends Allocation {
  /** The key in the service's retainedIps, when the service retains addresses. */
  slot?: string;
}

/**
 * Allocates the address of one member of a service unit. With `retainIp`, a replacement unit takes
 * the address of a slot whose holder is gone or being removed (the unit it replaces), provided the
 * address lies in this host's slice; otherwise it opens a new slot. Slots are stored on the service
 * as `retainedIps: {"<createIndex>[:<sidekick>]": ip}`, and their addresses stay reserved while the
 * service exists.
 */
export function allocateUnitAddress(
  store: Store,
  serviceRowId: number,
  hostId: string,
  member: { launchConfigName: string; createIndex: number; requestedIp?: string },
): UnitAllocation {
  return store.transaction(() => {
    const svc = store.get<ServiceNetworkFields & { retainIp?: boolean; scale?: number }>(serviceRowId);
    if (!svc?.projectId) throw new AppError("InvalidReference", `service row ${serviceRowId} not found`);
    if (member.requestedIp || !svc.data.retainIp) {
      return allocateAddress(store, svc.projectId, hostId, member.requestedIp);
    }
    const subnet = ensureHostSlice(store, hostId);
    const suffix = member.launchConfigName ? `:${member.launchConfigName}` : "";
    const slots = { ...(svc.data.retainedIps ?? {}) };
    const mine = Object.entries(slots)
      .filter(([key]) => key.replace(/^\d+/, "") === suffix)
      .sort(([a], [b]) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    const free = (ip: string) => holdersOf(store, hostId, ip).every((h) => h.state === "removing");
    const reuse = mine.find(([, ip]) => inSubnet(ip, subnet) && free(ip));
    if (reuse) return { managedIp: reuse[1], managedSubnet: subnet, slot: reuse[0] };
    // Slots left on other hosts (the unit moved) are dropped once the service has enough of them.
    const stale = mine.filter(([, ip]) => !inSubnet(ip, subnet));
    for (const [key] of stale.slice(0, Math.max(0, mine.length + 1 - (svc.data.scale ?? 1)))) {
      const ip = slots[key]!;
      if (holdersOfAnyHost(store, svc.projectId, ip) === 0) delete slots[key];
    }
    const ip = firstFree(subnet, takenAddresses(store, svc.projectId, hostId, subnet));
    if (!ip) throw new AppError("InvalidState", `host ${hostId} has no free address left in ${subnet}`);
    const slot = `${member.createIndex}${suffix}`;
    slots[slot] = ip;
    store.update(svc.id, { data: { retainedIps: slots } });
    return { managedIp: ip, managedSubnet: subnet, slot };
  });
}

function holdersOfAnyHost(store: Store, projectId: string, ip: string): number {
  let n = 0;
  for (const h of store.all("host", { projectId })) n += holdersOf(store, formatId("host", h.id), ip).length;
  return n;
}

/**
 * Resolves when no container but `rowId` holds `ip` on the host any more (the unit a retain_ip
 * replacement takes the address from is being removed), or after `timeoutMs`.
 */
export async function addressReleased(
  store: Store,
  rowId: number,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = store.get<ContainerNetworkFields & { hostId: string | null }>(rowId);
    if (!row?.data.managedIp || !row.data.hostId) return;
    const others = holdersOf(store, row.data.hostId, row.data.managedIp).filter((h) => h.id !== rowId);
    if (others.length === 0 || Date.now() > deadline) return;
    await Bun.sleep(everyMs);
  }
}
