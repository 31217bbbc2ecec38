import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, projectPath } from "../../api/client.ts";
import { tables } from "../../api/live.ts";
import type { Resource } from "../../api/types.ts";
import { ActionButtons } from "../../components/action-buttons.tsx";
import { Badge } from "../../components/badge.tsx";
import { ErrorLine, message, RemoveButton } from "../../components/feedback.tsx";
import { ListTable } from "../../components/list-table.tsx";
import { ShownOnce } from "../../components/shown-once.tsx";
import { useShownList } from "./common.tsx";

/** An API key as the API lists it (`secretValue` is only in the answer to create). */
interface ApiKey extends Resource {
  publicValue: string;
  secretValue: string | null;
  description: string | null;
  kind: string;
  accountId: string;
}

/** The secret of a key just made: shown this once, with a copy button. */
function NewSecret(props: { apiKey: ApiKey; onClose: () => void }) {
  const k = props.apiKey;
  return (
    <ShownOnce
      label={`New key ${k.name ?? k.publicValue}`}
      copy={`${k.publicValue}:${k.secretValue}`}
      copyLabel="Copy access and secret key"
      onClose={props.onClose}
    >
      <p>
        <strong>Save the secret now:</strong> it is shown only this once.
      </p>
      <dl class="fields">
        <div>
          <dt>Access key</dt>
          <dd>
            <code data-testid="access-key">{k.publicValue}</code>
          </dd>
        </div>
        <div>
          <dt>Secret key</dt>
          <dd>
            <code data-testid="secret-key">{k.secretValue}</code>
          </dd>
        </div>
      </dl>
    </ShownOnce>
  );
}

/** One list of keys (account or environment) with its create form. */
function KeySection(props: { title: string; idBase: string; path: string; keep: (k: ApiKey) => boolean }) {
  const { list, error, reload } = useShownList<ApiKey>(props.path, props.keep);
  const fresh = useSignal<ApiKey | null>(null);
  useEffect(() => {
    fresh.value = null;
  }, [props.path]);
  const create = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (k: string) => String(data.get(k) ?? "").trim();
    error.value = null;
    try {
      // Only what was filled in: an empty field is left to the server's default.
      const body = Object.fromEntries(["name", "description"].filter(text).map((k) => [k, text(k)]));
      fresh.value = await api.create<ApiKey>(props.path, body);
      form.reset();
      await reload();
    } catch (err) {
      error.value = message(err);
    }
  };
  const id = props.idBase;
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{props.title}</h2>
      {fresh.value ? <NewSecret apiKey={fresh.value} onClose={() => (fresh.value = null)} /> : null}
      <ListTable
        list={list.value}
        error={error.value}
        what="keys"
        columns={["Name", "Access key", "Description", "State", "Created", "Actions"]}
        row={(k) => (
          <tr key={k.id} data-key={k.publicValue}>
            <th scope="row">{k.name ?? "(no name)"}</th>
            <td>
              <code>{k.publicValue}</code>
            </td>
            <td>{k.description}</td>
            <td>
              <Badge value={k.state} label="State" />
            </td>
            <td>{k.created?.slice(0, 16).replace("T", " ")}</td>
            <td>
              <ActionButtons
                resource={{ ...k, name: k.name ?? k.publicValue }}
                specs={[
                  { action: "deactivate", verb: "Revoke" },
                  { action: "activate", verb: "Activate" },
                ]}
                onDone={() => void reload()}
              />{" "}
              <RemoveButton
                resource={{ ...k, name: k.name ?? k.publicValue }}
                what="key"
                onDone={() => void reload()}
              />
            </td>
          </tr>
        )}
      />
      <form class="stack-form" onSubmit={create} aria-label={`Create ${props.title.toLowerCase()}`}>
        <div class="field">
          <label for={`${id}-name`}>Name</label>
          <input id={`${id}-name`} name="name" maxLength={256} />
        </div>
        <div class="field">
          <label for={`${id}-description`}>Description</label>
          <input id={`${id}-description`} name="description" maxLength={1024} />
        </div>
        <ErrorLine text={error.value} />
        <button type="submit">Create key</button>
      </form>
    </section>
  );
}

/**
 * API keys: the caller's account keys and the environment's keys; a new key's secret is shown once.
 * Environment keys are the owners' (and admins'): the server offers `setmembers` to exactly them.
 */
export function ApiKeysPage(props: { projectId: string }) {
  const owner = Boolean(tables.project.row(props.projectId)?.value.actions.setmembers);
  return (
    <>
      <h1>API keys</h1>
      <KeySection
        title="Account keys"
        idBase="account-key"
        path="/v2-beta/apikeys"
        keep={(k) => k.kind === "account"}
      />
      {owner ? (
        <KeySection
          title="Environment keys"
          idBase="env-key"
          path={projectPath(props.projectId, "apikeys")}
          keep={(k) => k.kind === "project"}
        />
      ) : (
        <section aria-labelledby="env-key-title">
          <h2 id="env-key-title">Environment keys</h2>
          <p class="muted">Only the environment's owners manage its keys.</p>
        </section>
      )}
    </>
  );
}
