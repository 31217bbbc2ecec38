/**
 * Cells of the role matrix test for what stacks hold: containers, stacks, services (user and
 * infrastructure), volumes, certificates; and the audit log.
 */
import type { Cell } from "./roles-cells.ts";
import { adminOnly, cellKit, roleless } from "./roles-cells.ts";
import type { World } from "./roles-kit.ts";

const compose2 = "services:\n  web:\n    image: busybox\n    command: sleep 7200\n";

/** The cells of stacks and what they hold. */
export function stackCells(w: World): Cell[] {
  const { f, p, s, fresh, out, add, reads, action } = cellKit(w);
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

  reads("webhook receiver", "receivers", "userStacks", "receiver");
  add({
    what: "webhook receiver",
    verb: "create",
    area: "userStacks",
    op: "create",
    ok: 201,
    shared: s("receiver"),
    request: () => [
      "POST",
      `${p}/receivers`,
      {
        name: `r${Math.random().toString(36).slice(2)}`,
        driver: "scaleService",
        scaleServiceConfig: { serviceId: w.shared.service, action: "down", amount: 1, min: 1, max: 2 },
      },
    ],
  });
  add({
    what: "webhook receiver",
    verb: "remove",
    area: "userStacks",
    op: "remove",
    ok: 200,
    fresh: fresh(() => f.receiver()),
    shared: s("receiver"),
    request: (t) => ["DELETE", `${p}/receivers/${t.id}`],
  });

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
