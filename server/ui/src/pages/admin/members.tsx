import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, projectPath, request } from "../../api/client.ts";
import type { Collection, Project, Resource } from "../../api/types.ts";
import { ErrorLine, message } from "../../components/feedback.tsx";
import { shown } from "./common.tsx";

/** A member as `setmembers` takes it and the list shows it. */
interface Member {
  externalId: string;
  externalIdType: string;
  role: string;
  name?: string | null;
}

/** An identity the search found (an account, or the provider's user or group). */
interface Identity extends Resource {
  externalId: string;
  externalIdType: string;
  login: string | null;
}

/** Rancher 1.6's environment roles, highest first, with their names on screen. */
const roles: [string, string][] = [
  ["owner", "Owner"],
  ["member", "Member"],
  ["restricted", "Restricted"],
  ["readonly", "Read only"],
];

/** The kinds of identity in words (Rancher's `externalIdType` names). */
const kinds: Record<string, string> = {
  rancher_id: "Local account",
  ldap_user: "Directory user",
  ldap_group: "Directory group",
  github_user: "GitHub user",
  github_org: "GitHub organization",
  github_team: "GitHub team",
  oidc_user: "OpenID Connect user",
  oidc_group: "OpenID Connect group",
};

const kindName = (t: string) => kinds[t] ?? t;

const roleName = (role: string) => roles.find(([r]) => r === role)?.[1] ?? role;

/** A role picker. */
function RoleSelect(props: {
  label: string;
  value: string;
  onChange?: (role: string) => void;
  name?: string;
}) {
  return (
    <select
      aria-label={props.label}
      name={props.name}
      value={props.value}
      onChange={(e) => props.onChange?.((e.currentTarget as HTMLSelectElement).value)}
    >
      {roles.map(([r, text]) => (
        <option key={r} value={r}>
          {text}
        </option>
      ))}
    </select>
  );
}

/** An environment's members and their roles: add (identity search), change role, remove. */
export function MembersPage(props: { projectId: string }) {
  const project = useSignal<Project | null>(null);
  const members = useSignal<Member[] | null>(null);
  const found = useSignal<Identity[] | null>(null);
  const error = useSignal<string | null>(null);
  const load = async () => {
    project.value = await api.get<Project>(`/v2-beta/projects/${encodeURIComponent(props.projectId)}`);
    const rows = await api.list<Resource & Member>(projectPath(props.projectId, "projectmembers"));
    members.value = shown(rows).map((m) => ({
      externalId: m.externalId,
      externalIdType: m.externalIdType,
      role: m.role,
      name: m.name,
    }));
  };
  useEffect(() => {
    load().catch((e) => (error.value = message(e)));
  }, [props.projectId]);
  // Rancher's setmembers replaces the whole list: every change sends it all.
  const save = async (next: Member[]) => {
    if (!project.value) return;
    error.value = null;
    try {
      await api.action(project.value, "setmembers", { members: next });
      await load();
    } catch (e) {
      error.value = message(e);
    }
  };
  const search = async (e: Event) => {
    e.preventDefault();
    const q = String(new FormData(e.currentTarget as HTMLFormElement).get("q") ?? "").trim();
    if (!q) return;
    error.value = null;
    try {
      const answer = await request<Collection<Identity>>(
        "GET",
        `/v2-beta/identities?name=${encodeURIComponent(q)}`,
      );
      found.value = answer.data;
    } catch (err) {
      error.value = message(err);
    }
  };
  const list = members.value ?? [];
  const editable = Boolean(project.value?.actions.setmembers);
  const same = (a: Member, b: Member) =>
    a.externalId === b.externalId && a.externalIdType === b.externalIdType;
  const label = (m: Member) => m.name ?? m.externalId;
  return (
    <>
      <h1>Members of {project.value?.name ?? "the environment"}</h1>
      <ErrorLine text={error.value} />
      {members.value === null && !error.value ? <p aria-busy="true">Loading…</p> : null}
      {members.value ? (
        <table class="services">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Role</th>
              {editable ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {list.map((m) => (
              <tr key={`${m.externalIdType}:${m.externalId}`} data-member={label(m)}>
                <th scope="row">{label(m)}</th>
                <td>{kindName(m.externalIdType)}</td>
                <td>
                  {editable ? (
                    <RoleSelect
                      label={`Role of ${label(m)}`}
                      value={m.role}
                      onChange={(role) => void save(list.map((x) => (same(x, m) ? { ...x, role } : x)))}
                    />
                  ) : (
                    roleName(m.role)
                  )}
                </td>
                {editable ? (
                  <td>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Remove ${label(m)}`}
                      onClick={() =>
                        confirm(`Remove ${label(m)}?`) && void save(list.filter((x) => !same(x, m)))
                      }
                    >
                      Remove
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {editable ? (
        <>
          <h2>Add a member</h2>
          <form class="filters" onSubmit={search} aria-label="Find people and groups">
            <label>
              Name starts with
              <input name="q" required maxLength={128} />
            </label>
            <button type="submit">Search</button>
          </form>
          {found.value?.length === 0 ? <p class="muted">Nobody found.</p> : null}
          {found.value && found.value.length > 0 ? (
            <ul class="found" aria-label="Found">
              {found.value.map((i) => (
                <li key={i.id} data-identity={i.name}>
                  <form
                    class="filters"
                    onSubmit={(e) => {
                      e.preventDefault();
                      const role = String(new FormData(e.currentTarget as HTMLFormElement).get("role"));
                      const m = {
                        externalId: i.externalId,
                        externalIdType: i.externalIdType,
                        role,
                        name: i.name,
                      };
                      found.value = null;
                      void save([...list.filter((x) => !same(x, m)), m]);
                    }}
                  >
                    <span>
                      {i.name} {i.login ? <span class="muted">({i.login})</span> : null}{" "}
                      <span class="muted">{kindName(i.externalIdType)}</span>
                    </span>
                    <RoleSelect label={`Role for ${i.name}`} name="role" value="member" />
                    <button type="submit" aria-label={`Add ${i.name}`}>
                      Add
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : (
        <p class="muted">Only the environment's owners change its members.</p>
      )}
    </>
  );
}
