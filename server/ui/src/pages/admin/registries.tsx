import { useSignal } from "@preact/signals";
import { api, projectPath } from "../../api/client.ts";
import type { Resource } from "../../api/types.ts";
import { ErrorLine, message, RemoveButton } from "../../components/feedback.tsx";
import { ListTable } from "../../components/list-table.tsx";
import { useShownList } from "./common.tsx";

/** A private registry of the environment. */
interface Registry extends Resource {
  serverAddress: string;
  description: string | null;
}

/** A user name (and, write-only, a password) for one registry. */
interface RegistryCredential extends Resource {
  registryId: string;
  publicValue: string;
  email: string | null;
}

/**
 * Private registries: each with the user name the hosts pull with (the password is never shown back),
 * added as Rancher's UI did, registry and credential in one form; removed with their credentials.
 */
export function RegistriesPage(props: { projectId: string }) {
  const registriesPath = projectPath(props.projectId, "registries");
  const credentialsPath = projectPath(props.projectId, "registrycredentials");
  const { list: registries, error, reload: reloadRegistries } = useShownList<Registry>(registriesPath);
  const credentials = useShownList<RegistryCredential>(credentialsPath);
  const busy = useSignal(false);
  const reload = () => Promise.all([reloadRegistries(), credentials.reload()]).then(() => undefined);
  const add = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (k: string) => String(data.get(k) ?? "").trim();
    busy.value = true;
    error.value = null;
    let made: Registry | null = null;
    try {
      made = await api.create<Registry>(registriesPath, { serverAddress: text("serverAddress") });
      await api.create(credentialsPath, {
        registryId: made.id,
        publicValue: text("username"),
        secretValue: String(data.get("password") ?? ""),
        ...(text("email") ? { email: text("email") } : {}),
      });
      form.reset();
    } catch (err) {
      error.value = message(err);
      // A registry without the credential the form was for is not what the user asked for.
      if (made) await api.remove(made).catch(() => undefined);
    } finally {
      busy.value = false;
      await reload().catch(() => undefined);
    }
  };
  return (
    <>
      <h1>Registries</h1>
      <p class="muted">
        Hosts pull images named <code>host[:port]/…</code> with the credentials of that registry (
        <code>docker.io</code> for Docker Hub).
      </p>
      <ListTable
        list={registries.value}
        error={error.value}
        what="registries"
        columns={["Address", "User name", "Email", "Created", "Actions"]}
        row={(r) => {
          const c = credentials.list.value?.find((x) => x.registryId === r.id);
          return (
            <tr key={r.id} data-registry={r.serverAddress}>
              <th scope="row">{r.serverAddress}</th>
              <td>{c?.publicValue ?? <span class="muted">none</span>}</td>
              <td>{c?.email}</td>
              <td>{r.created?.slice(0, 16).replace("T", " ")}</td>
              <td>
                <RemoveButton
                  resource={{ ...r, name: r.serverAddress }}
                  what="registry"
                  consequence="Its credentials go with it."
                  onDone={() => void reload()}
                />
              </td>
            </tr>
          );
        }}
      />
      <h2 id="add-registry">Add a registry</h2>
      <form class="stack-form" onSubmit={add} aria-labelledby="add-registry">
        <div class="field">
          <label for="registry-address">Address</label>
          <input id="registry-address" name="serverAddress" required placeholder="registry.example:5000" />
        </div>
        <div class="field">
          <label for="registry-username">User name</label>
          <input id="registry-username" name="username" required autocomplete="off" />
        </div>
        <div class="field">
          <label for="registry-password">Password</label>
          <input
            id="registry-password"
            name="password"
            type="password"
            required
            autocomplete="new-password"
          />
        </div>
        <div class="field">
          <label for="registry-email">Email (optional)</label>
          <input id="registry-email" name="email" type="email" />
        </div>
        <ErrorLine text={error.value ?? credentials.error.value} />
        <button type="submit" disabled={busy.value}>
          Add registry
        </button>
      </form>
    </>
  );
}
