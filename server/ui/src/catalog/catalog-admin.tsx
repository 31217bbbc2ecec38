/**
 * Adding a catalog (through `/v1-catalog/catalogs`; removing one is admin/common.tsx's RemoveButton):
 * offered to the environment's owners and admins; the server decides, and its refusal is shown at
 * the field it names.
 */
import { useSignal } from "@preact/signals";
import { ErrorLine, message } from "../components/feedback.tsx";
import { type CatalogField, catalogFieldErrors, createCatalog } from "./api.ts";

/** Whether git reaches `url` over http(s), where a username and password (a token) apply. */
const isHttp = (url: string) => /^https?:\/\//i.test(url.trim());

/** Whether git reaches `url` over ssh (`ssh://` or `user@host:path`), where a private key applies. */
const isSsh = (url: string) => /^(?:ssh:\/\/|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)/i.test(url.trim());

/** The form's empty values. */
const empty = (): Record<CatalogField, string> => ({
  name: "",
  url: "",
  branch: "",
  username: "",
  password: "",
  sshKey: "",
  knownHosts: "",
});

/** Adds a catalog to this environment, or (admins) to every environment. */
export function AddCatalogForm(props: { projectId: string; onAdded: () => void }) {
  const values = useSignal<Record<CatalogField, string>>(empty());
  const global = useSignal(false);
  const errors = useSignal<Partial<Record<CatalogField, string>>>({});
  const refusal = useSignal<string | null>(null);
  const busy = useSignal(false);
  const v = values.value;
  const http = isHttp(v.url);
  const ssh = isSsh(v.url);
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    errors.value = {};
    refusal.value = null;
    try {
      await createCatalog({
        name: v.name.trim(),
        url: v.url.trim(),
        ...(v.branch.trim() ? { branch: v.branch.trim() } : {}),
        ...(global.value ? {} : { environmentId: props.projectId }),
        ...(http && v.username ? { username: v.username } : {}),
        ...(http && v.password ? { password: v.password } : {}),
        ...(ssh && v.sshKey.trim() ? { sshKey: v.sshKey } : {}),
        ...(ssh && v.knownHosts.trim() ? { knownHosts: v.knownHosts } : {}),
      });
      values.value = empty();
      props.onAdded();
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
    const id = `catalog-${name}`;
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
  return (
    <details class="add-catalog">
      <summary>Add a catalog</summary>
      <form class="stack-form" onSubmit={submit} noValidate aria-label="Add a catalog">
        {input("name", "Name", { required: true })}
        {input("url", "Git URL", { required: true, placeholder: "https://…, ssh://…, git://…, file://…" })}
        {input("branch", "Branch", { placeholder: "master" })}
        {http ? input("username", "Username (optional)", { autocomplete: "off" }) : null}
        {http
          ? input("password", "Password or token (optional)", {
              type: "password",
              autocomplete: "new-password",
            })
          : null}
        {/* The key is sent once and never shown again: the server keeps it sealed. */}
        {ssh
          ? input(
              "sshKey",
              "Private key (optional, without passphrase)",
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
        {/* Not a `.field`: those stack their checkbox above the label text. */}
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
        <ErrorLine text={refusal.value} />
        <button type="submit" class="button" disabled={busy.value}>
          Add catalog
        </button>
      </form>
    </details>
  );
}
