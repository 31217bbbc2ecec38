import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, projectPath } from "../api/client.ts";
import type { Resource } from "../api/types.ts";
import { ActionButtons } from "../components/action-buttons.tsx";
import { Badge } from "../components/badge.tsx";
import { ListTable } from "../components/list-table.tsx";

/** A certificate as the API shows it (the key is never shown). */
interface Certificate extends Resource {
  CN?: string | null;
  subjectAlternativeNames?: string[];
  expiresAt?: string;
  expired?: boolean;
}

/** Days from now until a date (negative once past). */
function daysLeft(iso: string | undefined): number | null {
  if (!iso) return null;
  return Math.floor((Date.parse(iso) - Date.now()) / 86_400_000);
}

/** A PEM field with a file picker beside it (upload instead of paste). */
function PemField(props: { name: string; label: string; required?: boolean }) {
  const id = `cert-${props.name}`;
  const load = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    const area = document.getElementById(id) as HTMLTextAreaElement | null;
    if (file && area) area.value = await file.text();
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <label class="load-file">
        Load {props.label} from a file
        <input type="file" accept=".pem,.crt,.key,.cer" onChange={(e) => void load(e)} />
      </label>
      <textarea id={id} name={props.name} rows={5} spellcheck={false} required={props.required} />
    </div>
  );
}

/** The environment's certificates for load balancers: expiry shown, upload, remove. */
export function CertificatesPage(props: { projectId: string }) {
  const list = useSignal<Certificate[] | null>(null);
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const path = projectPath(props.projectId, "certificates");
  const reload = async () => {
    // A removed certificate stays listed a while in state `removed`: not shown.
    list.value = (await api.list<Certificate>(path)).filter(
      (c) => c.state !== "removed" && c.state !== "purged",
    );
  };
  useEffect(() => {
    reload().catch((e) => {
      error.value = e instanceof Error ? e.message : String(e);
    });
  }, [props.projectId]);
  const upload = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (k: string) => String(data.get(k) ?? "").trim();
    busy.value = true;
    error.value = null;
    try {
      await api.create(path, {
        name: text("name"),
        cert: text("cert"),
        key: text("key"),
        ...(text("certChain") ? { certChain: text("certChain") } : {}),
      });
      form.reset();
      await reload();
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <>
      <h1>Certificates</h1>
      <ListTable
        list={list.value}
        error={error.value}
        what="certificates"
        columns={["Name", "Common name", "Other names", "Expires", "Actions"]}
        row={(c) => {
          const days = daysLeft(c.expiresAt);
          return (
            <tr key={c.id} data-certificate={c.name ?? c.id}>
              <th scope="row">{c.name}</th>
              <td>{c.CN}</td>
              <td>{(c.subjectAlternativeNames ?? []).join(", ")}</td>
              <td data-testid="expires">
                {c.expiresAt ? new Date(c.expiresAt).toISOString().slice(0, 10) : "?"}{" "}
                {c.expired || (days !== null && days < 0) ? (
                  <Badge value="expired" label="Expiry" />
                ) : days !== null ? (
                  <span class={days < 30 ? "warning" : "muted"}>in {days} days</span>
                ) : null}
              </td>
              <td>
                <ActionButtons
                  resource={c}
                  specs={[{ action: "remove", verb: "Remove", confirm: `Remove certificate ${c.name}?` }]}
                  onDone={() => void reload()}
                />
              </td>
            </tr>
          );
        }}
      />
      <h2>Upload a certificate</h2>
      <form class="stack-form" onSubmit={upload}>
        <div class="field">
          <label for="cert-name">Name</label>
          <input id="cert-name" name="name" required />
        </div>
        <PemField name="cert" label="Certificate (PEM)" required />
        <PemField name="key" label="Private key (PEM)" required />
        <PemField name="certChain" label="Chain (PEM, optional)" />
        {error.value ? (
          <p class="error" role="alert">
            {error.value}
          </p>
        ) : null}
        <button type="submit" disabled={busy.value}>
          Upload
        </button>
      </form>
    </>
  );
}
