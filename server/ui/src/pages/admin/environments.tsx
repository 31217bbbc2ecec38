import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api } from "../../api/client.ts";
import type { Project } from "../../api/types.ts";
import { ActionButtons } from "../../components/action-buttons.tsx";
import { Badge } from "../../components/badge.tsx";
import { ErrorLine, message, RemoveButton } from "../../components/feedback.tsx";
import { Link } from "../../components/link.tsx";
import { ListTable } from "../../components/list-table.tsx";
import { refreshProjects } from "../../session.ts";
import { shown } from "./common.tsx";

/** The owner's (or an admin's) actions are offered; the server leaves `setmembers` out for others. */
function mayEdit(p: Project): boolean {
  return Boolean(p.actions.setmembers);
}

/** One environment's row: its fields, or the edit form in place of them. */
function EnvironmentRow(props: { project: Project; onDone: () => void }) {
  const p = props.project;
  const editing = useSignal(false);
  const error = useSignal<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    error.value = null;
    try {
      await api.update(p, {
        name: String(data.get("name") ?? "").trim(),
        description: String(data.get("description") ?? "").trim() || null,
      });
      editing.value = false;
      props.onDone();
    } catch (err) {
      error.value = message(err);
    }
  };
  const base = `/env/${encodeURIComponent(p.id)}`;
  return (
    <tr data-environment={p.name ?? p.id}>
      {editing.value ? (
        <td colSpan={4}>
          <form class="stack-form" onSubmit={save} aria-label={`Edit environment ${p.name}`}>
            <div class="field">
              <label for={`env-name-${p.id}`}>Name</label>
              <input id={`env-name-${p.id}`} name="name" required maxLength={256} value={p.name ?? ""} />
            </div>
            <div class="field">
              <label for={`env-description-${p.id}`}>Description</label>
              <input
                id={`env-description-${p.id}`}
                name="description"
                maxLength={1024}
                value={p.description ?? ""}
              />
            </div>
            <ErrorLine text={error.value} />
            <button type="submit">Save</button>{" "}
            <button type="button" class="link-button" onClick={() => (editing.value = false)}>
              Cancel
            </button>
          </form>
        </td>
      ) : (
        <>
          <th scope="row">
            <Link href={`${base}/stacks`}>{p.name ?? p.id}</Link>
          </th>
          <td>{p.description}</td>
          <td>
            <Badge value={p.state} label="State" />
          </td>
          <td>
            <span class="row-actions">
              <Link href={`${base}/members`}>Members of {p.name}</Link>
              {mayEdit(p) ? (
                <button type="button" aria-label={`Edit ${p.name}`} onClick={() => (editing.value = true)}>
                  Edit
                </button>
              ) : null}
              <ActionButtons
                resource={p}
                specs={[
                  { action: "deactivate", verb: "Deactivate" },
                  { action: "activate", verb: "Activate" },
                ]}
                onDone={props.onDone}
              />
              {mayEdit(p) ? <RemoveButton resource={p} what="environment" onDone={props.onDone} /> : null}
            </span>
          </td>
        </>
      )}
    </tr>
  );
}

/** The environments the caller may see: create, edit name and description, deactivate, remove. */
export function EnvironmentsPage(_props: { projectId: string }) {
  const list = useSignal<Project[] | null>(null);
  const error = useSignal<string | null>(null);
  const reload = async () => {
    list.value = shown(await api.list<Project>("/v2-beta/projects"));
    // The switcher reads the shared table: a new or renamed environment shows there at once.
    await refreshProjects();
  };
  useEffect(() => {
    reload().catch((e) => {
      error.value = message(e);
    });
  }, []);
  const create = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    error.value = null;
    try {
      await api.create("/v2-beta/projects", {
        name: String(data.get("name") ?? "").trim(),
        description: String(data.get("description") ?? "").trim() || null,
      });
      form.reset();
      await reload();
    } catch (err) {
      error.value = message(err);
    }
  };
  const done = () => void reload().catch((e) => (error.value = message(e)));
  return (
    <>
      <h1>Environments</h1>
      <ListTable
        list={list.value}
        error={error.value}
        what="environments"
        columns={["Name", "Description", "State", "Actions"]}
        row={(p) => <EnvironmentRow key={p.id} project={p} onDone={done} />}
      />
      <h2>Add an environment</h2>
      <form class="stack-form" onSubmit={create} aria-label="Add an environment">
        <div class="field">
          <label for="new-env-name">Name</label>
          <input id="new-env-name" name="name" required maxLength={256} />
        </div>
        <div class="field">
          <label for="new-env-description">Description</label>
          <input id="new-env-description" name="description" maxLength={1024} />
        </div>
        <ErrorLine text={error.value} />
        <button type="submit">Add environment</button>
      </form>
    </>
  );
}
