import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AppError } from "@corral/lib";
import { z } from "zod";

/** What the agent keeps between runs in `<stateDir>/agent.json`. */
export const agentStateSchema = z.object({
  uuid: z.string().min(8).max(64),
  url: z.string().optional(),
  hostId: z.string().optional(),
  /** The server installation this host belongs to; only its containers are managed here. */
  installId: z.string().optional(),
  agentId: z.string().optional(),
  projectId: z.string().optional(),
  accessKey: z.string().optional(),
  secretKey: z.string().optional(),
  // A hash, not the token: enough to notice a new token without keeping a reusable secret around.
  tokenHash: z.string().optional(),
  /**
   * The server's CA (PEM) this agent pinned when it joined over HTTPS: every request and the
   * websocket trust it alone, and the agent never talks plain HTTP to that server again.
   */
  caCert: z.string().max(65_536).optional(),
});
/** The agent's persisted identity and credentials. */
export type AgentState = z.infer<typeof agentStateSchema>;

/** The path of the state file inside a state folder. */
export function statePath(stateDir: string): string {
  return join(stateDir, "agent.json");
}

/** A stable hash of a registration token, to compare tokens without storing one. */
export function hashToken(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}

/**
 * Reads the state file, or starts a new state with a fresh uuid when there is none. The uuid is
 * created once and kept, so a host that registers again keeps its identity on the server.
 */
export async function loadState(stateDir: string): Promise<AgentState> {
  let text: string;
  try {
    text = await readFile(statePath(stateDir), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { uuid: crypto.randomUUID() };
    throw new AppError("ServerError", `cannot read ${statePath(stateDir)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new AppError("InvalidFormat", `${statePath(stateDir)} is not JSON`, { cause: e });
  }
  const parsed = agentStateSchema.safeParse(raw);
  if (!parsed.success) throw new AppError("InvalidFormat", `${statePath(stateDir)}: ${parsed.error.message}`);
  return parsed.data;
}

/** Writes the state file atomically (temp file + rename), 0600 in a 0700 folder: it holds a secret key. */
export async function saveState(stateDir: string, state: AgentState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  const target = statePath(stateDir);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, target);
}

/** True when the state holds a usable key pair for `url`. */
export function hasCredentials(state: AgentState): boolean {
  return Boolean(state.accessKey && state.secretKey && state.agentId && state.hostId);
}
