/**
 * The cells of the role matrix test: every resource type and kind of stack, with every verb the API
 * has for it (list, get, create, update, remove, each action, logs, exec), the part of Rancher 1.6's
 * table it falls under, and the status a caller who may do it gets.
 */
import type { Client } from "./harness.ts";
import { factories, type Who, type World } from "./roles-kit.ts";

/** Rancher 1.6's table, as the test's own copy: r(ead) c(reate) u(pdate) d(elete) l(ogs) e(xec). */
export const rancherTable: Record<string, Record<string, string>> = {
  membership: { owner: "rud", member: "r", restricted: "r", readonly: "r" },
  environment: { owner: "rud", member: "r", restricted: "r", readonly: "r" },
  environmentKeys: { owner: "crud", member: "", restricted: "", readonly: "" },
  auditLogs: { owner: "r", member: "r", restricted: "", readonly: "" },
  hosts: { owner: "crud", member: "crud", restricted: "r", readonly: "r" },
  registrationTokens: { owner: "crud", member: "crud", restricted: "", readonly: "" },
  userStacks: { owner: "crudle", member: "crudle", restricted: "crudle", readonly: "rl" },
  infraStacks: { owner: "crudle", member: "rudle", restricted: "rl", readonly: "r" },
};
const letters = { read: "r", create: "c", update: "u", remove: "d", logs: "l", exec: "e" } as const;

/** What a verb acts on: a row id, and for environments made for the cell, that environment's key. */
export interface Target {
  id: string;
  envKey?: Client;
}

/** One row of the test: a verb on one kind of resource. */
export interface Cell {
  what: string;
  verb: string;
  area: string;
  op: keyof typeof letters;
  /** The status of a caller allowed to do it. */
  ok: number;
  /** A fresh target for callers allowed to change it (absent: the shared one serves everyone). */
  fresh?: () => Promise<Target>;
  shared: () => Target;
  request: (t: Target) => [string, string, unknown?];
  /** Statuses that differ from the table's, each for a stated reason. */
  except?: Partial<Record<Who, number>>;
}

/** The status `who` must get for `cell`. */
export function expected(cell: Cell, who: Who): number {
  const except = cell.except?.[who];
  if (except !== undefined) return except;
  if (who === "admin" || who === "envKey") return cell.ok;
  if (who === "outsider") return 404;
  return rancherTable[cell.area]![who]!.includes(letters[cell.op]) ? cell.ok : 403;
}

/** The helpers the cell lists are written with. */
export function cellKit(w: World) {
  const f = factories(w);
  const p = f.base;
  const s = (key: string) => () => ({ id: w.shared[key]! });
  const fresh = (make: () => Promise<string>) => async () => ({ id: await make() });
  const out: Cell[] = [];
  const add = (c: Cell) => out.push(c);

  /** list, get and the verbs every row type has, for a collection inside the environment. */
  const reads = (what: string, collection: string, area: string, key: string) => {
    add({
      what,
      verb: "list",
      area,
      op: "read",
      ok: 200,
      shared: s(key),
      request: () => ["GET", `${p}/${collection}`],
    });
    add({
      what,
      verb: "get",
      area,
      op: "read",
      ok: 200,
      shared: s(key),
      request: (t) => ["GET", `${p}/${collection}/${t.id}`],
    });
  };
  const action = (
    what: string,
    collection: string,
    area: string,
    name: string,
    ok: number,
    make: (() => Promise<string>) | null,
    key: string,
    body: unknown = {},
    except?: Cell["except"],
  ) =>
    add({
      ...(except ? { except } : {}),
      what,
      verb: `action ${name}`,
      area,
      op:
        name === "logs"
          ? "logs"
          : name === "execute"
            ? "exec"
            : name === "remove"
              ? "remove"
              : name === "exportconfig"
                ? "read"
                : "update",
      ok,
      ...(make ? { fresh: fresh(make) } : {}),
      shared: s(key),
      request: (t) => ["POST", `${p}/${collection}/${t.id}?action=${name}`, body],
    });

  return { f, p, s, fresh, out, add, reads, action };
}

/** Callers other than the admin who see the row are refused. */
export const adminOnly: Partial<Record<Who, number>> = {
  envKey: 403,
  owner: 403,
  member: 403,
  restricted: 403,
  readonly: 403,
};

/** Every caller who sees the row gets `status` (the verb does not exist for the type). */
export function roleless(status: number): Partial<Record<Who, number>> {
  return { owner: status, member: status, restricted: status, readonly: status };
}

/** The setmembers body that gives each role person their role again. */
export function membersBodyOf(w: World) {
  return {
    members: (["owner", "member", "restricted", "readonly"] as const).map((role) => ({
      externalId: w.accounts[role],
      externalIdType: "rancher_id",
      role,
    })),
  };
}
