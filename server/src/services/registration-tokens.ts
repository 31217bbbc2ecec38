import { formatId, registrationTokenCreateSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import { randomToken } from "../auth/keys.ts";
import { mayRegisterHosts } from "../auth/principal.ts";
import type { RegistrationTokenFields } from "../model/project.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import { type JoinTrust, joinBase } from "../tls/join-trust.ts";
import { loadProject, loadVisible, type VerbContext } from "./context.ts";
import { parseInput } from "./input.ts";

/** Creates a registration token for a project: the secret in the one-line join command. */
export function createRegistrationToken(
  ctx: VerbContext,
  projectId: string,
  body: unknown,
): Row<RegistrationTokenFields> {
  const input = parseInput(registrationTokenCreateSchema, body);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    const pid = formatId("project", project.id);
    requireRegistrar(ctx, pid);
    return insertRegistrationToken(ctx.store, pid, input.name, input.description);
  });
}

/** Inserts a token row (inside the caller's transaction). */
export function insertRegistrationToken(
  store: Store,
  projectId: string,
  name?: string,
  description?: string,
): Row<RegistrationTokenFields> {
  const token = randomToken(40);
  return store.insert<RegistrationTokenFields>("registrationToken", {
    projectId,
    name: name ?? null,
    state: "active",
    lookup: token,
    data: { token, description },
  });
}

/** Activates or deactivates a token: an inactive token joins no host and serves no join script. */
export function setRegistrationTokenActive(
  ctx: VerbContext,
  id: string,
  active: boolean,
): Row<RegistrationTokenFields> {
  return ctx.store.transaction(() => {
    const token = loadToken(ctx, id);
    const row = ctx.store.update<RegistrationTokenFields>(
      token.id,
      { state: active ? "active" : "inactive" },
      [active ? "inactive" : "active"],
    );
    if (!row) throw new AppError("InvalidState", `registrationToken ${id} is ${token.state}`);
    return row;
  });
}

/**
 * `rotate`: gives the token a new value in place (same id, same state); the old value stops
 * working at once. Hosts that joined with it keep working: they use their own agent keys.
 */
export function rotateRegistrationToken(ctx: VerbContext, id: string): Row<RegistrationTokenFields> {
  return ctx.store.transaction(() => {
    const token = loadToken(ctx, id);
    const value = randomToken(40);
    const row = ctx.store.update<RegistrationTokenFields>(
      token.id,
      { lookup: value, data: { token: value } },
      ["active", "inactive"],
    );
    if (!row) throw new AppError("InvalidState", `registrationToken ${id} is ${token.state}`);
    return row;
  });
}

/** Removes a token: it stops working at once and its value is not kept. */
export function removeRegistrationToken(ctx: VerbContext, id: string): Row<RegistrationTokenFields> {
  return ctx.store.transaction(() => {
    const token = loadToken(ctx, id);
    const row = ctx.store.update<RegistrationTokenFields>(
      token.id,
      { state: "removed", removed: Date.now(), lookup: null, data: { token: "" } },
      ["active", "inactive"],
    );
    if (!row) throw new AppError("InvalidState", `registrationToken ${id} is ${token.state}`);
    return row;
  });
}

/**
 * The URL a host fetches its join script from, and the one-line command that joins it. With HTTPS
 * the command first fetches the CA from `/cacerts` (not yet trusted, so `-k`), checks it against
 * the checksum it carries, and fetches the script trusting that CA only; the script hands the
 * checksum to the agent, which pins the CA the same way.
 */
export function joinCommand(
  publicUrl: string,
  token: string,
  trust?: JoinTrust,
): { registrationUrl: string; command: string } {
  const base = joinBase(publicUrl, trust);
  const registrationUrl = `${base}/v2-beta/scripts/${token}`;
  if (!trust) return { registrationUrl, command: `curl -fsSL ${registrationUrl} | sh` };
  const ca = "corral-ca.pem";
  return {
    registrationUrl,
    command:
      `curl -fsSk ${base}/cacerts -o ${ca} && echo '${trust.caChecksum}  ${ca}' | sha256sum -c` +
      ` && curl -fsSL --cacert ${ca} ${registrationUrl} | sh`,
  };
}

function loadToken(ctx: VerbContext, id: string): Row<RegistrationTokenFields> {
  const token = loadVisible<RegistrationTokenFields>(ctx, "registrationToken", id);
  requireRegistrar(ctx, token.projectId ?? "");
  return token;
}

function requireRegistrar(ctx: VerbContext, projectId: string): void {
  if (!mayRegisterHosts(ctx.principal, projectId))
    throw new AppError(
      "PermissionDenied",
      "registering hosts in this environment is not allowed to this key",
    );
}
