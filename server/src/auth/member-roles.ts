import type { AccountFields } from "../model/account.ts";
import type { ProjectMemberFields } from "../model/project.ts";
import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { Identity } from "./identity.ts";
import { higherRole } from "./role-matrix.ts";
import type { Role } from "./roles.ts";

/**
 * The identities a person holds: their account's own (`rancher_id` with the account's public id),
 * the provider user the account stands for (`externalId`/`externalIdType`), and the groups their
 * provider gave them at their last login (stored on the account as `data.identities`).
 */
export function identitiesOf(
  account: Pick<
    Row<Partial<Pick<AccountFields, "username" | "externalId" | "externalIdType" | "identities">>>,
    "name" | "data"
  >,
  accountId: string,
): Identity[] {
  const { name, data } = account;
  const own: Identity = {
    externalId: accountId,
    externalIdType: "rancher_id",
    name: name ?? accountId,
    ...(data.username ? { login: data.username } : {}),
  };
  const out = [own];
  if (data.externalId && data.externalIdType)
    out.push({
      externalId: data.externalId,
      externalIdType: data.externalIdType,
      name: name ?? data.externalId,
    });
  return [...out, ...(data.identities ?? [])];
}

/**
 * The person's role in each environment: every active membership matching one of their identities
 * counts (a group's members get its role), and the highest role wins. Removed environments count
 * for nothing.
 */
export function rolesOf(store: Store, identities: readonly Identity[]): Record<string, Role> {
  const out: Record<string, Role> = {};
  const seen = new Set<string>();
  for (const identity of identities) {
    const key = `${identity.externalIdType} ${identity.externalId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const rows = store.all<ProjectMemberFields>("projectMember", {
      state: ["active"],
      dataField: ["externalId", identity.externalId],
    });
    for (const row of rows) {
      if (row.data.externalIdType !== identity.externalIdType || !row.projectId) continue;
      const project = store.getByPublicId("project", row.projectId);
      if (!project || project.state === "removed") continue;
      out[row.projectId] = higherRole(out[row.projectId], row.data.role)!;
    }
  }
  return out;
}
