import { hostUpdateSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import type { ApiKeyData } from "../model/account.ts";
import type { HostFields } from "../model/host.ts";
import type { Row } from "../store/rows.ts";
import { completeTransition } from "./container-lifecycle.ts";
import { loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";

/** Edits a host's name, description or labels (labels are replaced whole). */
export function updateHost(ctx: VerbContext, id: string, body: unknown): Row<HostFields> {
  const input = parseInput(hostUpdateSchema, body);
  if (ctx.principal.kind === "agent") throw new AppError("PermissionDenied", "agents cannot edit hosts");
  return ctx.store.transaction(() => {
    const host = loadVisible<HostFields>(ctx, "host", id);
    const data: Record<string, unknown> = {};
    if (input.description !== undefined) data.description = input.description;
    if (input.labels !== undefined) data.labels = input.labels;
    return ctx.store.update<HostFields>(host.id, { name: input.name, data })!;
  });
}

/** Activates or deactivates a host: an inactive host gets no new containers; its running ones stay. */
export function setHostActive(ctx: VerbContext, id: string, active: boolean): Row<HostFields> {
  if (ctx.principal.kind === "agent") throw new AppError("PermissionDenied", "agents cannot change hosts");
  return ctx.store.transaction(() => {
    const host = loadVisible<HostFields>(ctx, "host", id);
    const row = ctx.store.update<HostFields>(host.id, { state: active ? "active" : "inactive" }, [
      active ? "inactive" : "active",
    ]);
    if (!row) throw new AppError("InvalidState", `host ${id} is ${host.state}`);
    return row;
  });
}

/**
 * Removes an inactive host: its agent's keys stop working and its container records are marked
 * removed (the containers themselves stay on the machine, as in Rancher).
 */
export function removeHost(ctx: VerbContext, id: string): Row<HostFields> {
  if (ctx.principal.kind === "agent") throw new AppError("PermissionDenied", "agents cannot remove hosts");
  return ctx.store.transaction(() => {
    const host = loadVisible<HostFields>(ctx, "host", id);
    if (host.state !== "inactive")
      throw new AppError("InvalidState", `deactivate host ${id} before removing it`);
    const now = Date.now();
    for (const key of ctx.store.all<ApiKeyData>("apiKey", {
      dataField: ["accountId", host.data.agentAccountId],
    })) {
      if (key.state !== "removed") ctx.store.update(key.id, { state: "removed", removed: now, lookup: null });
    }
    for (const c of ctx.store.all("container", { dataField: ["hostId", id] })) {
      if (c.state !== "removed") ctx.store.update(c.id, { state: "removed", removed: now });
    }
    return ctx.store.update<HostFields>(host.id, { state: "removed", removed: now, lookup: null })!;
  });
}

/**
 * `evacuate`: deactivates the host and removes the containers of services on it, so the
 * orchestrator places their units on other hosts. Standalone containers stay where they are.
 */
export function evacuateHost(ctx: VerbContext, id: string): Row<HostFields> {
  if (ctx.principal.kind === "agent") throw new AppError("PermissionDenied", "agents cannot change hosts");
  const moved: number[] = [];
  const row = ctx.store.transaction(() => {
    const host = loadVisible<HostFields>(ctx, "host", id);
    if (host.state === "removed") throw new AppError("ActionNotAvailable", `host ${id} is removed`);
    const updated =
      host.state === "active" ? ctx.store.update<HostFields>(host.id, { state: "inactive" })! : host;
    for (const c of ctx.store.all<{ serviceId?: string }>("container", { dataField: ["hostId", id] })) {
      if (!c.data.serviceId || ["removing", "removed"].includes(c.state)) continue;
      if (ctx.store.update(c.id, { state: "removing" }, ["running", "stopped", "error", "creating"]))
        moved.push(c.id);
    }
    return updated;
  });
  for (const cid of moved) ctx.store.afterCommit(() => completeTransition(ctx.store, ctx.dispatcher, cid));
  return row;
}
