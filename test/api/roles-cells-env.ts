/**
 * Cells of the role matrix test for the environment itself, its members, keys, registration tokens
 * and hosts.
 */
import type { Cell } from "./roles-cells.ts";
import { cellKit, membersBodyOf } from "./roles-cells.ts";
import type { World } from "./roles-kit.ts";

/** The cells of the environment's own rows. */
export function environmentCells(w: World): Cell[] {
  const { f, p, s, fresh, out, add, reads, action } = cellKit(w);
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
  add({
    what: "host",
    verb: "stats",
    area: "hosts",
    op: "read",
    ok: 200,
    shared: s("host"),
    request: (t) => ["GET", `${p}/hosts/${t.id}/stats`],
  });
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

  return out;
}
