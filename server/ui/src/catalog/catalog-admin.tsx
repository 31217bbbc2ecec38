/**
 * Adding and editing a catalog (through `/v1-catalog/catalogs`; removing one is
 * components/feedback.tsx's RemoveButton): offered to the environment's owners and admins; the
 * server decides, and its refusal is shown at the field it names.
 */
import { useSignal } from "@preact/signals";
import { useRef } from "preact/hooks";
import { ErrorLine, message } from "../components/feedback.tsx";
import {
  type Catalog,
  type CatalogField,
  catalogFieldErrors,
  createCatalog,
  type NewCatalog,
  updateCatalog,
} from "./api.ts";

/** Whether git reaches `url` over http(s), where a username and password (a token) apply. */
const isHttp = (url: string) => /^https?:\/\//i.test(url.trim());

/** Whether git reaches `url` over ssh (`ssh://` or `user@host:path`), where a private key applies. */
const isSsh = (url: string) => /^(?:ssh:\/\/|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)/i.test(url.trim());

/** The form's values: empty to add, the catalog's own to edit (secrets are never sent back: blank). */
const initial = (c?: Catalog): Record<CatalogField, string> => ({
  name: c?.name ?? "",
  url: c?.url ?? "",
  branch: c?.branch ?? "",
  username: "",
  password: "",
  sshKey: "",
  knownHosts: c?.knownHosts ?? "",
});

/** Adds a catalog to this environment, or (admins) to every environment. */
export function AddCatalogForm(props: { projectId: string; onAdded: () => void }) {
  return (
    <details class="add-catalog">
      <summary>Add a catalog</summary>
      <CatalogForm projectId={props.projectId} onDone={props.onAdded} />
    </details>
  );
}

/**
 * Edits a catalog's URL, branch, credentials and host keys. The name and scope stay. Credential
 * fields start blank and a blank one keeps what is stored (as the API does); the host keys start
 * as stored, and emptying them drops them.
 */
export function EditCatalogForm(props: { catalog: Catalog; onSaved: () => void }) {
  return (
    <details class="edit-catalog">
      <summary aria-label={`Edit ${props.catalog.name}`}>Edit</summary>
      <CatalogForm catalog={props.catalog} onDone={props.onSaved} />
    </details>
  );
}

/** The add form (no `catalog`) or the edit form of `catalog`. */
function CatalogForm(props: { projectId?: string; catalog?: Catalog; onDone: () => void }) {
  const editing = props.catalog;
  const values = useSignal<Record<CatalogField, string>>(initial(editing));
  const global = useSignal(false);
  const errors = useSignal<Partial<Record<CatalogField, string>>>({});
  const refusal = useSignal<string | null>(null);
  const busy = useSignal(false);
  const formRef = useRef<HTMLFormElement>(null);
  const v = values.value;
  const http = isHttp(v.url);
  const ssh = isSsh(v.url);
  // Ids unique on the page: one edit form per catalog besides the add form.
  const prefix = editing ? `catalog-edit-${editing.name}` : "catalog";
  const optional = (what: string) =>
    editing?.hasCredentials ? `${what} (blank keeps the stored one)` : `${what} (optional)`;
  const send = (): Promise<unknown> => {
    const secrets = {
      ...(http && v.username ? { username: v.username } : {}),
      ...(http && v.password ? { password: v.password } : {}),
      ...(ssh && v.sshKey.trim() ? { sshKey: v.sshKey } : {}),
    };
    if (editing)
      return updateCatalog(editing, {
        url: v.url.trim(),
        // A blank branch keeps the stored one.
        ...(v.branch.trim() ? { branch: v.branch.trim() } : {}),
        ...secrets,
        // Host keys only mean something for ssh: another URL drops them.
        knownHosts: ssh ? v.knownHosts : "",
      });
    const body: NewCatalog = {
      name: v.name.trim(),
      url: v.url.trim(),
      ...(v.branch.trim() ? { branch: v.branch.trim() } : {}),
      ...(global.value ? {} : { environmentId: props.projectId }),
      ...secrets,
      ...(ssh && v.knownHosts.trim() ? { knownHosts: v.knownHosts } : {}),
    };
    return createCatalog(body);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    errors.value = {};
    refusal.value = null;
    try {
      await send();
      if (editing) {
        // Saved: the secrets typed are not kept in the page; the form closes.
        values.value = { ...values.value, username: "", password: "", sshKey: "" };
        const details = formRef.current?.closest("details");
        if (details) details.open = false;
      } else values.value = initial();
      props.onDone();
    } catch (err) {
      const fields = catalogFieldErrors(err);
      errors.value = fields;
      // A refusal that names no field of the form (a non-admin adding a global catalog) goes above it.
      refusal.value = Object.keys(fields).length > 0 ? null : message(err);
    } finally {
      busy.value = false;
    }
  };
  const input = (
    name: CatalogField,
    label: string,
    extra: Record<string, unknown> = {},
    multiline = false,
  ) => {
    const id = `${prefix}-${name}`;
    const error = errors.value[name];
    const common = {
      id,
      value: v[name],
      "aria-invalid": error ? ("true" as const) : undefined,
      "aria-describedby": error ? `${id}-error` : undefined,
      onInput: (e: Event) => {
        values.value = { ...values.value, [name]: (e.currentTarget as HTMLInputElement).value };
        // A refusal is about the value sent: it goes once that value is changed.
        if (errors.value[name]) errors.value = { ...errors.value, [name]: undefined };
      },
      ...extra,
    };
    return (
      <div class="field" data-field={name}>
        <label for={id}>{label}</label>
        {multiline ? <textarea rows={4} spellcheck={false} {...common} /> : <input {...common} />}
        {error ? (
          <span id={`${id}-error`} class="error">
            {error}
          </span>
        ) : null}
      </div>
    );
  };
  const formName = editing ? `Edit catalog ${editing.name}` : "Add a catalog";
  return (
    <form ref={formRef} class="stack-form" onSubmit={submit} noValidate aria-label={formName}>
      {editing ? null : input("name", "Name", { required: true })}
      {input("url", "Git URL", { required: true, placeholder: "https://…, ssh://…, git://…, file://…" })}
      {input("branch", "Branch", { placeholder: "master" })}
      {http ? input("username", optional("Username"), { autocomplete: "off" }) : null}
      {http
        ? input("password", optional("Password or token"), {
            type: "password",
            autocomplete: "new-password",
          })
        : null}
      {/* The key is sent once and never shown again: the server keeps it sealed. */}
      {ssh
        ? input(
            "sshKey",
            editing?.hasCredentials
              ? "Private key (blank keeps the stored one; without passphrase)"
              : "Private key (optional, without passphrase)",
            { autocomplete: "off", placeholder: "-----BEGIN OPENSSH PRIVATE KEY-----" },
            true,
          )
        : null}
      {ssh
        ? input(
            "knownHosts",
            "Host keys, known_hosts lines (optional; else the first key seen is trusted)",
            { placeholder: "host ssh-ed25519 AAAA…" },
            true,
          )
        : null}
      {editing ? (
        <p class="muted">A new URL is not sent the stored credentials: give it its own.</p>
      ) : (
        /* Not a `.field`: those stack their checkbox above the label text. */
        <p>
          <label>
            <input
              type="checkbox"
              checked={global.value}
              onChange={(e) => {
                global.value = (e.currentTarget as HTMLInputElement).checked;
              }}
            />{" "}
            For every environment (admins only)
          </label>
        </p>
      )}
      <ErrorLine text={refusal.value} />
      <button type="submit" class="button" disabled={busy.value}>
        {editing ? "Save catalog" : "Add catalog"}
      </button>
    </form>
  );
}
