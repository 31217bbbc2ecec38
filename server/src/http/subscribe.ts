import { formatId } from "@corral/api";
import type { ServerWebSocket } from "bun";
import type { Identity } from "../auth/identity.ts";
import { identitiesOf, rolesOf } from "../auth/member-roles.ts";
import type { Principal } from "../auth/principal.ts";
import { actionsFilter, mayRead } from "../services/authorize.ts";
import { isVisible } from "../services/context.ts";
import type { Row } from "../store/rows.ts";
import type { RowChange, Store } from "../store/store.ts";
import type { ResourceDef } from "./definition.ts";
import { present } from "./present.ts";
import { toV1 } from "./v1.ts";

/** Data Bun keeps on an event-stream websocket. */
export interface SubscriberData {
  kind: "subscriber";
  principal: Principal;
  projectId: string | null;
  base: string;
  /** Subscribed under `/v1`: resources are sent in v1's words (a stack is an `environment`). */
  v1?: boolean;
}

/**
 * The event stream at `/v2-beta/subscribe`: every committed change a subscriber may see is sent as
 * `{name: "resource.change", resourceType, resourceId, data: {resource}}`, plus a `ping` every 5 s.
 * A subscriber that cannot keep up (too much unsent data) is disconnected rather than buffered forever.
 */
export class Subscribers {
  private readonly sockets = new Set<ServerWebSocket<SubscriberData>>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly store: Store,
    private readonly defs: Map<string, ResourceDef>,
  ) {
    store.onChange((change) => this.publish(change));
    this.timer = setInterval(() => this.broadcast({ name: "ping" }), 5000);
    this.timer.unref?.();
  }

  /** Adds a subscriber. */
  open(ws: ServerWebSocket<SubscriberData>): void {
    this.sockets.add(ws);
  }

  /** Removes a subscriber. */
  close(ws: ServerWebSocket<SubscriberData>): void {
    this.sockets.delete(ws);
  }

  /** Stops the ping timer and closes all subscribers. */
  stop(): void {
    clearInterval(this.timer);
    for (const ws of this.sockets) ws.close(1001, "server shutting down");
  }

  private publish({ row }: RowChange): void {
    if (this.sockets.size === 0 || row.type === "auditLog") return;
    if (
      (row.type === "apiKey" || row.type === "account" || row.type === "project") &&
      row.state !== "active"
    ) {
      this.revoke(formatId(row.type, row.id));
    }
    if (row.type === "projectMember") this.refreshRoles(null);
    // A person's identities (their groups, stored at login) changed: their roles may have too.
    if (row.type === "account" && row.state === "active") this.refreshRoles(row);
    const def = this.defs.get(row.type);
    if (!def) return;
    for (const ws of this.sockets) {
      const { principal, projectId, base } = ws.data;
      // What the caller's role may not read (registration tokens, environment keys) is not sent either.
      if (!isVisible(principal, row) || !mayRead(this.store, { principal }, row)) continue;
      if (
        projectId &&
        row.projectId !== projectId &&
        !(row.type === "project" && formatId("project", row.id) === projectId)
      )
        continue;
      const resource = present(def, row, base, this.store, actionsFilter(this.store, principal, row));
      this.send(ws, {
        name: "resource.change",
        resourceType: row.type,
        resourceId: resource.id,
        data: { resource },
      });
    }
  }

  /** Closes the subscribers whose key, account or environment was just deactivated or removed. */
  private revoke(id: string): void {
    for (const ws of [...this.sockets]) {
      const p = ws.data.principal;
      if (p.keyId === id || p.accountId === id || p.projectId === id) {
        this.sockets.delete(ws);
        ws.close(4001, `${id} is no longer active`);
      }
    }
  }

  /**
   * Memberships changed: every person's roles are computed again, so the stream follows them at
   * once. An environment they just joined is sent to them (its own change went by before their
   * membership did); one who left the environment they subscribed in is disconnected. With
   * `account`, only that person's subscriptions, with the identities now on the account.
   */
  private refreshRoles(account: Row | null): void {
    const accountId = account ? formatId("account", account.id) : null;
    for (const ws of [...this.sockets]) {
      const p = ws.data.principal;
      if (p.kind !== "user" || (accountId !== null && p.accountId !== accountId)) continue;
      const identities = account
        ? identitiesOf(account as Row<{ identities?: Identity[] }>, p.accountId)
        : (p.identities ?? identitiesOf({ name: null, data: {} }, p.accountId));
      const roles = rolesOf(this.store, identities);
      const joined = Object.keys(roles).filter((pid) => !Object.hasOwn(p.roles ?? {}, pid));
      ws.data.principal = { ...p, roles, identities };
      const scope = ws.data.projectId;
      if (scope && !Object.hasOwn(roles, scope)) {
        this.sockets.delete(ws);
        ws.close(4001, `no longer a member of ${scope}`);
        continue;
      }
      for (const pid of joined) {
        const project = this.store.getByPublicId("project", pid);
        const def = this.defs.get("project");
        if (!project || !def || (scope && scope !== pid)) continue;
        const resource = present(
          def,
          project,
          ws.data.base,
          this.store,
          actionsFilter(this.store, ws.data.principal, project),
        );
        this.send(ws, {
          name: "resource.change",
          resourceType: "project",
          resourceId: pid,
          data: { resource },
        });
      }
    }
  }

  private broadcast(message: object): void {
    for (const ws of this.sockets) this.send(ws, message);
  }

  private send(ws: ServerWebSocket<SubscriberData>, message: object): void {
    if (ws.getBufferedAmount() > 8 * 1024 * 1024) {
      ws.close(1013, "too slow: events were dropping");
      this.sockets.delete(ws);
      return;
    }
    ws.send(JSON.stringify(ws.data.v1 ? toV1(message, ws.data.base) : message));
  }
}
