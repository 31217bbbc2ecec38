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

/** Every cell. */
export function cells(w: World): Cell[] {
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

  // The environment itself: fresh environments with the same members for the verbs that change it.
  const env =
    (active = true) =>
    async () =>
      f.project(active);
  add({
    what: "environment",
    verb: "list",
    area: "environment",
    op: "read",
    ok: 200,
    shared: s("project"),
    request: () => ["GET", "/v2-beta/projects"],
    except: { outsider: 200 },
  });
  add({
    what: "environment",
    verb: "get",
    area: "environment",
    op: "read",
    ok: 200,
    shared: s("project"),
    request: (t) => ["GET", `/v2-beta/projects/${t.id}`],
  });
  // Any account may make an environment; environment keys may not.
  add({
    what: "environment",
    verb: "create",
    area: "environment",
    op: "read",
    ok: 201,
    shared: s("project"),
    request: () => ["POST", "/v2-beta/projects", { name: `e${Math.random().toString(36).slice(2)}` }],
    except: { envKey: 403, outsider: 201 },
  });
  add({
    what: "environment",
    verb: "update",
    area: "environment",
    op: "update",
    ok: 200,
    fresh: env(),
    shared: s("project"),
    request: (t) => ["PUT", `/v2-beta/projects/${t.id}`, { description: "changed" }],
  });
  // Switching an environment off or removing it is for admins and owners; its own key may not.
  add({
    what: "environment",
    verb: "remove",
    area: "environment",
    op: "remove",
    ok: 200,
    fresh: env(),
    shared: s("project"),
    request: (t) => ["DELETE", `/v2-beta/projects/${t.id}`],
    except: { envKey: 403 },
  });
  add({
    what: "environment",
    verb: "action deactivate",
    area: "environment",
    op: "update",
    ok: 200,
    fresh: env(),
    shared: s("project"),
    request: (t) => ["POST", `/v2-beta/projects/${t.id}?action=deactivate`, {}],
    except: { envKey: 403 },
  });
  // The key of an inactive environment does not authenticate at all.
  add({
    what: "environment",
    verb: "action activate",
    area: "environment",
    op: "update",
    ok: 200,
    fresh: env(false),
    shared: s("project"),
    request: (t) => ["POST", `/v2-beta/projects/${t.id}?action=activate`, {}],
    except: { envKey: 401 },
  });
  add({
    what: "environment",
    verb: "action rotateipsecpsk",
    area: "environment",
    op: "update",
    ok: 200,
    fresh: env(),
    shared: s("project"),
    request: (t) => ["POST", `/v2-beta/projects/${t.id}?action=rotateipsecpsk`, {}],
    except: { envKey: 403 },
  });
  add({
    what: "membership",
    verb: "action setmembers",
    area: "membership",
    op: "update",
    ok: 200,
    fresh: env(),
    shared: s("project"),
    request: (t) => ["POST", `/v2-beta/projects/${t.id}?action=setmembers`, membersBodyOf(w)],
  });

  // Members: read here, written only by setmembers (405 for the verbs the collection lacks).
  reads("membership", "projectmembers", "membership", "member");
  add({
    what: "membership",
    verb: "create",
    area: "membership",
    op: "read",
    ok: 405,
    shared: s("member"),
    request: () => ["POST", `${p}/projectmembers`, {}],
    except: { outsider: 405 },
  });
  add({
    what: "membership",
    verb: "update",
    area: "membership",
    op: "read",
    ok: 405,
    shared: s("member"),
    request: (t) => ["PUT", `${p}/projectmembers/${t.id}`, {}],
  });
  add({
    what: "membership",
    verb: "remove",
    area: "membership",
    op: "read",
    ok: 405,
    shared: s("member"),
    request: (t) => ["DELETE", `${p}/projectmembers/${t.id}`],
  });

  reads("environment key", "apikeys", "environmentKeys", "envKey");
  add({
    what: "environment key",
    verb: "create",
    area: "environmentKeys",
    op: "create",
    ok: 201,
    shared: s("envKey"),
    request: () => ["POST", `${p}/apikeys`, {}],
  });
  add({
    what: "environment key",
    verb: "remove",
    area: "environmentKeys",
    op: "remove",
    ok: 200,
    fresh: fresh(() => f.envKey()),
    shared: s("envKey"),
    request: (t) => ["DELETE", `${p}/apikeys/${t.id}`],
  });
  action("environment key", "apikeys", "environmentKeys", "deactivate", 200, () => f.envKey(), "envKey");
  action("environment key", "apikeys", "environmentKeys", "activate", 200, () => f.envKey(false), "envKey");

  reads("registration token", "registrationtokens", "registrationTokens", "token");
  add({
    what: "registration token",
    verb: "create",
    area: "registrationTokens",
    op: "create",
    ok: 201,
    shared: s("token"),
    request: () => ["POST", `${p}/registrationtokens`, {}],
  });
  add({
    what: "registration token",
    verb: "remove",
    area: "registrationTokens",
    op: "remove",
    ok: 200,
    fresh: fresh(() => f.token()),
    shared: s("token"),
    request: (t) => ["DELETE", `${p}/registrationtokens/${t.id}`],
  });
  action(
    "registration token",
    "registrationtokens",
    "registrationTokens",
    "deactivate",
    200,
    () => f.token(),
    "token",
  );
  action(
    "registration token",
    "registrationtokens",
    "registrationTokens",
    "activate",
    200,
    () => f.token(false),
    "token",
  );
  action(
    "registration token",
    "registrationtokens",
    "registrationTokens",
    "rotate",
    200,
    () => f.token(),
    "token",
  );

  reads("host", "hosts", "hosts", "host");
  // Hosts join with a registration token, never by create.
  add({
    what: "host",
    verb: "create",
    area: "hosts",
    op: "read",
    ok: 405,
    shared: s("host"),
    request: () => ["POST", `${p}/hosts`, {}],
    except: { outsider: 405 },
  });
  add({
    what: "host",
    verb: "update",
    area: "hosts",
    op: "update",
    ok: 200,
    shared: s("host"),
    request: (t) => ["PUT", `${p}/hosts/${t.id}`, { description: "changed" }],
  });
  add({
    what: "host",
    verb: "remove",
    area: "hosts",
    op: "remove",
    ok: 200,
    fresh: fresh(() => f.host(false)),
    shared: s("host"),
    request: (t) => ["DELETE", `${p}/hosts/${t.id}`],
  });
  action("host", "hosts", "hosts", "deactivate", 200, () => f.host(), "host");
  action("host", "hosts", "hosts", "activate", 200, () => f.host(false), "host");
  action("host", "hosts", "hosts", "evacuate", 202, () => f.host(), "host");

  for (const [what, area, key, make] of [
    ["container", "userStacks", "container", () => f.container()],
    ["infra container", "infraStacks", "infraContainer", () => f.infraContainer()],
  ] as const) {
    reads(what, "containers", area, key);
    add({
      what,
      verb: "update",
      area,
      op: "update",
      ok: 200,
      shared: s(key),
      request: (t) => ["PUT", `${p}/containers/${t.id}`, { description: "changed" }],
    });
    add({
      what,
      verb: "remove",
      area,
      op: "remove",
      ok: 200,
      fresh: fresh(make),
      shared: s(key),
      request: (t) => ["DELETE", `${p}/containers/${t.id}`],
    });
    action(what, "containers", area, "stop", 202, make, key);
    // A service's containers are kept running and never purged by hand: allowed callers reach the
    // state check there (409); a standalone container is stopped or removed for them first.
    const standalone = what === "container";
    action(
      what,
      "containers",
      area,
      "start",
      standalone ? 202 : 409,
      standalone ? () => f.stoppedContainer() : null,
      key,
    );
    action(what, "containers", area, "restart", 202, make, key);
    action(what, "containers", area, "remove", 202, make, key);
    // Purging deletes the record of a removed container for good: admins only, whatever the role.
    action(
      what,
      "containers",
      area,
      "purge",
      standalone ? 200 : 409,
      standalone ? () => f.removedContainer() : null,
      key,
      {},
      standalone ? adminOnly : undefined,
    );
    action(what, "containers", area, "logs", 200, null, key);
    action(what, "containers", area, "execute", 200, null, key, { command: ["sh"] });
  }
  // A standalone container is in no stack: a user container.
  add({
    what: "container",
    verb: "create",
    area: "userStacks",
    op: "create",
    ok: 201,
    shared: s("container"),
    request: () => ["POST", `${p}/containers`, { imageUuid: "busybox" }],
  });

  for (const [what, area, key, make] of [
    ["stack", "userStacks", "stack", () => f.stack()],
    ["infra stack", "infraStacks", "infraStack", () => f.infraStack()],
  ] as const) {
    reads(what, "stacks", area, key);
    add({
      what,
      verb: "update",
      area,
      op: "update",
      ok: 405,
      shared: s(key),
      request: (t) => ["PUT", `${p}/stacks/${t.id}`, { description: "x" }],
      except: roleless(405),
    });
    add({
      what,
      verb: "remove",
      area,
      op: "remove",
      ok: 200,
      fresh: fresh(make),
      shared: s(key),
      request: (t) => ["DELETE", `${p}/stacks/${t.id}`],
    });
    action(what, "stacks", area, "deactivateservices", 200, make, key);
    action(what, "stacks", area, "activateservices", 200, make, key);
    action(what, "stacks", area, "upgrade", 202, make, key, { dockerCompose: `${compose2}` });
    // Not upgrading: allowed callers reach the state check (409); others are refused before it.
    for (const name of ["finishupgrade", "rollback", "cancelupgrade"])
      action(what, "stacks", area, name, 409, null, key);
    action(what, "stacks", area, "exportconfig", 200, null, key);
    action(what, "stacks", area, "remove", 202, make, key);
  }
  add({
    what: "stack",
    verb: "create",
    area: "userStacks",
    op: "create",
    ok: 201,
    shared: s("stack"),
    request: () => [
      "POST",
      `${p}/stacks`,
      { name: `s${Math.random().toString(36).slice(2)}`, startOnCreate: false },
    ],
  });

  for (const [what, area, key, stackKey] of [
    ["service", "userStacks", "service", "stack"],
    ["infra service", "infraStacks", "infraService", "infraStack"],
  ] as const) {
    const active = () => f.service(w.shared[stackKey]!, "active");
    const inactive = () => f.service(w.shared[stackKey]!, "inactive");
    reads(what, "services", area, key);
    add({
      what,
      verb: "create",
      area,
      op: "create",
      ok: 201,
      shared: s(key),
      request: () => [
        "POST",
        `${p}/services`,
        {
          name: `v${Math.random().toString(36).slice(2)}`,
          stackId: w.shared[stackKey],
          launchConfig: { imageUuid: "docker:busybox" },
          startOnCreate: false,
        },
      ],
    });
    add({
      what,
      verb: "update",
      area,
      op: "update",
      ok: 200,
      fresh: fresh(inactive),
      shared: s(key),
      request: (t) => ["PUT", `${p}/services/${t.id}`, { description: "changed" }],
    });
    add({
      what,
      verb: "remove",
      area,
      op: "remove",
      ok: 200,
      fresh: fresh(inactive),
      shared: s(key),
      request: (t) => ["DELETE", `${p}/services/${t.id}`],
    });
    action(what, "services", area, "activate", 202, inactive, key);
    action(what, "services", area, "deactivate", 202, active, key);
    action(what, "services", area, "restart", 202, active, key, { rollingRestartStrategy: {} });
    action(what, "services", area, "upgrade", 202, inactive, key, {
      inServiceStrategy: { launchConfig: { imageUuid: "docker:busybox", environment: { V: "2" } } },
    });
    for (const name of ["finishupgrade", "rollback", "cancelupgrade"])
      action(what, "services", area, name, 409, null, key);
    action(what, "services", area, "setservicelinks", 200, inactive, key, { serviceLinks: [] });
    action(what, "services", area, "remove", 202, inactive, key);
  }

  reads("volume", "volumes", "userStacks", "volume");
  add({
    what: "volume",
    verb: "create",
    area: "userStacks",
    op: "create",
    ok: 201,
    shared: s("volume"),
    request: () => ["POST", `${p}/volumes`, { name: `v${Math.random().toString(36).slice(2)}` }],
  });
  add({
    what: "volume",
    verb: "update",
    area: "userStacks",
    op: "update",
    ok: 405,
    shared: s("volume"),
    request: (t) => ["PUT", `${p}/volumes/${t.id}`, {}],
    except: roleless(405),
  });
  add({
    what: "volume",
    verb: "remove",
    area: "userStacks",
    op: "remove",
    ok: 200,
    fresh: fresh(() => f.volume()),
    shared: s("volume"),
    request: (t) => ["DELETE", `${p}/volumes/${t.id}`],
  });
  action("volume", "volumes", "userStacks", "remove", 202, () => f.volume(), "volume");

  reads("certificate", "certificates", "userStacks", "certificate");
  add({
    what: "certificate",
    verb: "create",
    area: "userStacks",
    op: "create",
    ok: 201,
    shared: s("certificate"),
    request: () => [
      "POST",
      `${p}/certificates`,
      { name: `c${Math.random().toString(36).slice(2)}`, generate: { hostname: "b.test" } },
    ],
  });
  add({
    what: "certificate",
    verb: "update",
    area: "userStacks",
    op: "update",
    ok: 200,
    shared: s("certificate"),
    request: (t) => ["PUT", `${p}/certificates/${t.id}`, { description: "changed" }],
  });
  add({
    what: "certificate",
    verb: "remove",
    area: "userStacks",
    op: "remove",
    ok: 200,
    fresh: fresh(() => f.certificate()),
    shared: s("certificate"),
    request: (t) => ["DELETE", `${p}/certificates/${t.id}`],
  });
  action("certificate", "certificates", "userStacks", "remove", 200, () => f.certificate(), "certificate");

  reads("audit log", "auditlogs", "auditLogs", "auditLog");
  return out;
}

const compose2 = "services:\n  web:\n    image: busybox\n    command: sleep 7200\n";

/** Callers other than the admin who see the row are refused. */
const adminOnly: Partial<Record<Who, number>> = {
  envKey: 403,
  owner: 403,
  member: 403,
  restricted: 403,
  readonly: 403,
};

/** Every caller who sees the row gets `status` (the verb does not exist for the type). */
function roleless(status: number): Partial<Record<Who, number>> {
  return { owner: status, member: status, restricted: status, readonly: status };
}

function membersBodyOf(w: World) {
  return {
    members: (["owner", "member", "restricted", "readonly"] as const).map((role) => ({
      externalId: w.accounts[role],
      externalIdType: "rancher_id",
      role,
    })),
  };
}
