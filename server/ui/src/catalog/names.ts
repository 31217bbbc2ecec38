/** Names a `service` or `certificate` question may take in an environment. */
import { api, projectPath } from "../api/client.ts";
import { tables } from "../api/live.ts";
import type { Resource } from "../api/types.ts";

/** `stack/service` for every service of the environment (from the live tables). */
export function serviceNames(): string[] {
  const out: string[] = [];
  for (const id of tables.service.ids.value) {
    const s = tables.service.row(id)?.value;
    if (!s || s.state === "removed") continue;
    const stack = tables.stack.row(s.stackId)?.value;
    out.push(stack ? `${stack.name}/${s.name}` : (s.name ?? id));
  }
  return out.sort();
}

/** The environment's certificate names (fetched: the live tables do not hold certificates). */
export async function certificateNames(projectId: string): Promise<string[]> {
  const list = await api.list<Resource>(projectPath(projectId, "certificates"));
  return list
    .filter((c) => c.state !== "removed" && c.name)
    .map((c) => c.name!)
    .sort();
}
