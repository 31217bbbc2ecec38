import { containerExecuteSchema, containerLogsSchema, formatId } from "@corral/api";
import { randomToken } from "../auth/keys.ts";
import type { StreamRequest } from "../hub/session.ts";
import type { ContainerFields } from "../model/container.ts";
import { requireAllowedOn } from "../services/authorize.ts";
import { requireConnectedHost } from "../services/containers.ts";
import { loadVisible, type VerbContext } from "../services/context.ts";
import { parseInput } from "../services/input.ts";

/** A granted, not yet used, logs or exec session. */
export interface StreamGrant {
  hostId: string;
  /** The event that opens the stream on the host, and its data. */
  request: StreamRequest;
  expires: number;
}

const grants = new Map<string, StreamGrant>();
const grantTtlMs = 60_000;

/**
 * The `logs` and `execute` actions answer, as Rancher's did, with `{type: "hostAccess", url, token}`:
 * a single-use websocket URL valid for one minute that carries the container's output (and, for
 * exec, the caller's input).
 */
export function openHostAccess(
  ctx: VerbContext,
  id: string,
  kind: "logs" | "execute",
  body: unknown,
  base: string,
) {
  const row = loadVisible<ContainerFields>(ctx, "container", id);
  // The router checked already; the stream is granted only after the same rule says yes here too.
  requireAllowedOn(ctx, row, kind === "logs" ? "logs" : "exec");
  const hostId = requireConnectedHost(ctx, row);
  const common = { containerId: formatId("container", row.id), dockerId: row.data.externalId };
  let request: StreamRequest;
  if (kind === "logs") {
    const input = parseInput(containerLogsSchema, body ?? {});
    request = {
      name: "instance.logs",
      data: {
        ...common,
        follow: input.follow ?? true,
        lines: input.lines ?? 100,
        timestamps: input.timestamps ?? false,
        ...(input.since
          ? {
              since: /^\d+$/.test(input.since)
                ? Number(input.since)
                : Math.floor(Date.parse(input.since) / 1000),
            }
          : {}),
      },
    };
  } else {
    const input = parseInput(containerExecuteSchema, body);
    request = {
      name: "instance.exec",
      data: {
        ...common,
        command: input.command,
        tty: input.tty ?? false,
        attachStdin: input.attachStdin ?? true,
      },
    };
  }
  sweep();
  const token = randomToken(32);
  grants.set(token, { hostId, request, expires: Date.now() + grantTtlMs });
  return { type: "hostAccess", token, url: `${base.replace(/^http/, "ws")}/v2-beta/streams?token=${token}` };
}

/** Takes a grant by its token (each token works once), or null when unknown or expired. */
export function takeGrant(token: string | null): StreamGrant | null {
  if (!token) return null;
  const grant = grants.get(token);
  grants.delete(token);
  return grant && grant.expires > Date.now() ? grant : null;
}

function sweep(): void {
  const now = Date.now();
  for (const [token, grant] of grants) if (grant.expires <= now) grants.delete(token);
}
