import { formatId, type RegisterInput, type RegistrationResponse, registerSchema } from "@corral/api";
import { AppError } from "@corral/lib";
import type { Principal } from "../auth/principal.ts";
import type { AccountFields, ApiKeyData } from "../model/account.ts";
import type { HostFields } from "../model/host.ts";
import type { RegistrationTokenFields } from "../model/project.ts";
import type { Store } from "../store/store.ts";
import { insertApiKey } from "./api-keys.ts";
import { parseInput } from "./input.ts";

/**
 * Joins a host with a registration token, as Rancher's agent did: the host is found again by the
 * agent's uuid (so a re-joining host keeps its id), and the agent gets a fresh key pair of its own;
 * its previous keys stop working.
 *
 * A uuid that is already registered is taken over only by that host's own agent key (sent with
 * HTTP Basic, as the agent does when it joins again) and with a token of the host's environment:
 * a token alone, any other key, or another environment's token gets one and the same 409, which
 * does not say where the uuid is registered. `claim` checks the presented key; it is called only
 * for a uuid that is taken, so a new host's stale key from a lost server costs nothing.
 */
export function registerHost(
  store: Store,
  body: unknown,
  clientIp: string,
  claim: () => Principal | null = () => null,
): RegistrationResponse {
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
    let agentAccountId: string;
    if (host) {
      const claimant = claim();
      const own =
        claimant?.kind === "agent" &&
        claimant.hostId === formatId("host", host.id) &&
        host.projectId === projectId;
      if (!own)
        throw new AppError(
          "NotUnique",
          "this host uuid is taken: a registered host joins again only with its own agent key and a token of its environment; to move or reinstall it, remove the host first",
        );
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
