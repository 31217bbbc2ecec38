import {
  formatId,
  type RegisterInput,
  type RegistrationResponse,
  registerSchema,
  registrationTokenCreateSchema,
} from "@corral/api";
import { AppError } from "@corral/lib";
import { randomToken } from "../auth/keys.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { AccountFields } from "./accounts.ts";
import { type ApiKeyData, insertApiKey } from "./api-keys.ts";
import { loadProject, type VerbContext } from "./context.ts";
import type { HostFields } from "./hosts.ts";
import { parseInput } from "./input.ts";

/** Stored fields of a registration token. */
export interface RegistrationTokenFields {
  token: string;
  description?: string;
}

/** Creates a registration token for a project: the secret in the one-line join command. */
export function createRegistrationToken(
  ctx: VerbContext,
  projectId: string,
  body: unknown,
): Row<RegistrationTokenFields> {
  const input = parseInput(registrationTokenCreateSchema, body);
  return ctx.store.transaction(() => {
    const project = loadProject(ctx, projectId);
    return insertRegistrationToken(ctx.store, formatId("project", project.id), input.name, input.description);
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

/** The URL a host fetches its join script from, and the one-line command that joins it. */
export function joinCommand(publicUrl: string, token: string): { registrationUrl: string; command: string } {
  const registrationUrl = `${publicUrl}/v2-beta/scripts/${token}`;
  return { registrationUrl, command: `curl -fsSL ${registrationUrl} | sh` };
}

/**
 * Joins a host with a registration token, as Rancher's agent did: the host is found again by the
 * agent's uuid (so a re-joining host keeps its id), and the agent gets a fresh key pair of its own;
 * its previous keys stop working.
 */
export function registerHost(store: Store, body: unknown, clientIp: string): RegistrationResponse {
  const input: RegisterInput = parseInput(registerSchema, body);
  return store.transaction(() => {
    const token = store.getByLookup<RegistrationTokenFields>("registrationToken", input.token);
    if (token?.state !== "active" || !token.projectId) {
      throw new AppError("Unauthorized", "unknown or inactive registration token");
    }
    const projectId = token.projectId;
    const project = store.getByPublicId("project", projectId);
    if (project?.state !== "active") throw new AppError("Unauthorized", "the environment is not active");

    let host = store.getByLookup<HostFields>("host", input.uuid);
    if (host && host.projectId !== projectId) {
      throw new AppError(
        "NotUnique",
        "this host is registered in another environment; remove it there first",
      );
    }
    let agentAccountId: string;
    if (host) {
      agentAccountId = host.data.agentAccountId;
      for (const key of store.all<ApiKeyData>("apiKey", {
        state: ["active", "inactive"],
        dataField: ["accountId", agentAccountId],
      })) {
        store.update(key.id, { state: "removed", removed: Date.now(), lookup: null });
      }
      host = store.update<HostFields>(host.id, {
        data: {
          hostname: input.hostname,
          agentIpAddress: clientIp,
          labels: { ...host.data.labels, ...input.labels },
        },
      })!;
    } else {
      host = store.insert<HostFields>("host", {
        projectId,
        name: input.hostname,
        state: "active",
        lookup: input.uuid,
        data: {
          hostname: input.hostname,
          uuid: input.uuid,
          labels: input.labels ?? {},
          info: null,
          agentState: "registering",
          agentAccountId: "",
          agentIpAddress: clientIp,
          lastPingAt: null,
        },
      });
      const hostId = formatId("host", host.id);
      const account = store.insert<AccountFields>("account", {
        name: `agent-${hostId}`,
        state: "active",
        data: { kind: "agent", hostId, projectId },
      });
      agentAccountId = formatId("account", account.id);
      host = store.update<HostFields>(host.id, { data: { agentAccountId } })!;
    }
    const key = insertApiKey(store, { kind: "agent", accountId: agentAccountId });
    return {
      type: "agentRegistration",
      hostId: formatId("host", host.id),
      agentId: agentAccountId,
      projectId,
      accessKey: key.row.data.publicValue,
      secretKey: key.secretValue,
      ...(store.getSetting("installId") ? { installId: store.getSetting("installId")! } : {}),
    };
  });
}
