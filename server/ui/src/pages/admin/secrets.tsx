import { useSignal } from "@preact/signals";
import { api, projectPath } from "../../api/client.ts";
import type { Resource } from "../../api/types.ts";
import { ErrorLine, message, RemoveButton } from "../../components/feedback.tsx";
import { ListTable } from "../../components/list-table.tsx";
import { useShownList } from "./common.tsx";

/** A secret as the API lists it: its value is write-only (always null here). */
interface Secret extends Resource {
  description: string | null;
}

/** Bytes as base64, the form the API takes a secret's value in (Rancher's). */
export function base64Of(bytes: Uint8Array): string {
  let text = "";
  // In slices: String.fromCharCode with a whole file's bytes as arguments overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/**
 * Secrets of the environment: names and descriptions listed, values never shown back; a new one
 * from text typed or a file (sent as base64); removed. Services get them as files under /run/secrets.
 */
export function SecretsPage(props: { projectId: string }) {
  const path = projectPath(props.projectId, "secrets");
  const { list, error, reload } = useShownList<Secret>(path);
  const busy = useSignal(false);
  const create = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const file = data.get("file");
    const typed = String(data.get("value") ?? "");
    busy.value = true;
    error.value = null;
    try {
      const bytes =
        file instanceof File && file.size > 0
          ? new Uint8Array(await file.arrayBuffer())
          : new TextEncoder().encode(typed);
      if (bytes.length === 0) throw new Error("value: type the secret or choose a file");
      const description = String(data.get("description") ?? "").trim();
      await api.create(path, {
        name: String(data.get("name") ?? "").trim(),
        value: base64Of(bytes),
        ...(description ? { description } : {}),
      });
      form.reset();
      await reload();
    } catch (err) {
      error.value = message(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <>
      <h1>Secrets</h1>
      <p class="muted">
        A service given a secret (compose <code>secrets:</code>) reads it as a file under{" "}
        <code>/run/secrets/</code>. Values are stored encrypted and never shown again.
      </p>
      <ListTable
        list={list.value}
        error={error.value}
        what="secrets"
        columns={["Name", "Description", "Created", "Actions"]}
        row={(s) => (
          <tr key={s.id} data-secret={s.name ?? s.id}>
            <th scope="row">{s.name}</th>
            <td>{s.description}</td>
            <td>{s.created?.slice(0, 16).replace("T", " ")}</td>
            <td>
              <RemoveButton resource={s} what="secret" onDone={() => void reload()} />
            </td>
          </tr>
        )}
      />
      <h2 id="add-secret">Add a secret</h2>
      <form class="stack-form" onSubmit={create} aria-labelledby="add-secret">
        <div class="field">
          <label for="secret-name">Name</label>
          <input id="secret-name" name="name" required autocomplete="off" />
        </div>
        <div class="field">
          <label for="secret-value">Value</label>
          <textarea id="secret-value" name="value" rows={3} spellcheck={false} autocomplete="off" />
        </div>
        <div class="field">
          <label for="secret-file">Or the value from a file</label>
          <input id="secret-file" name="file" type="file" />
        </div>
        <div class="field">
          <label for="secret-description">Description (optional)</label>
          <input id="secret-description" name="description" />
        </div>
        <ErrorLine text={error.value} />
        <button type="submit" disabled={busy.value}>
          Add secret
        </button>
      </form>
    </>
  );
}
