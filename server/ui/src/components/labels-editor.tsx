import { useSignal } from "@preact/signals";
import { ApiError, api } from "../api/client.ts";
import type { Resource } from "../api/types.ts";
import { ErrorLine, message } from "./feedback.tsx";

/** One label as the editor holds it (its place in the list is its identity until saved). */
interface LabelRow {
  key: string;
  value: string;
}

/** A resource with labels, saved whole with a PUT of the resource (`{labels: {...}}`). */
type Labelled = Resource & { labels: Record<string, string> | null };

/**
 * Which row each of the server's refusals is about: its issues name the field `labels.<key>`. An
 * issue whose key no row has (or that is not about a label) is answered null: shown for the form.
 */
function rowOfIssue(rows: LabelRow[], field: string): number | null {
  if (!field.startsWith("labels.")) return null;
  const i = rows.findIndex((r) => r.key.trim() === field.slice("labels.".length));
  return i < 0 ? null : i;
}

/**
 * A resource's labels as `key=value` chips, and an editor for them: add, change or remove a row,
 * then Save sends them all in one update (the server replaces the labels whole, so a refused save
 * changes nothing). A refusal is shown at the row it names; the rows stay as typed.
 */
export function LabelsEditor(props: { resource: Labelled; name: string }) {
  const rows = useSignal<LabelRow[] | null>(null);
  const rowErrors = useSignal<Record<number, string>>({});
  const error = useSignal<string | null>(null);
  const saving = useSignal(false);
  const labels = props.resource.labels ?? {};
  const prefix = `labels-${props.resource.id}`;

  if (rows.value === null) {
    const entries = Object.entries(labels);
    return (
      <div class="labels-view">
        {entries.length > 0 ? (
          <p class="labels">
            {entries.map(([k, v]) => (
              <code key={k}>
                {k}={v}
              </code>
            ))}
          </p>
        ) : (
          <p class="muted">No labels.</p>
        )}
        <button
          type="button"
          onClick={() => {
            rows.value = entries.map(([key, value]) => ({ key, value }));
            rowErrors.value = {};
            error.value = null;
          }}
        >
          Edit labels<span class="visually-hidden"> of {props.name}</span>
        </button>
      </div>
    );
  }

  const list = rows.value;
  const set = (i: number, k: keyof LabelRow, v: string) => {
    rows.value = list.map((r, j) => (j === i ? { ...r, [k]: v } : r));
  };
  const save = async (e: Event) => {
    e.preventDefault();
    error.value = null;
    // A row left wholly empty (added, then not filled) is dropped; a repeated key is refused here,
    // since a JSON object would keep only the last and the server could not tell.
    const kept = list.filter((r) => r.key.trim() !== "" || r.value !== "");
    const seen = new Map<string, number>();
    const found: Record<number, string> = {};
    kept.forEach((r, i) => {
      const key = r.key.trim();
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else found[i] = `the key "${key}" is also in row ${first + 1}`;
    });
    rows.value = kept;
    rowErrors.value = found;
    if (Object.keys(found).length > 0) {
      error.value = "Labels not saved: a key is repeated.";
      return;
    }
    saving.value = true;
    try {
      await api.update(props.resource, {
        labels: Object.fromEntries(kept.map((r) => [r.key.trim(), r.value])),
      });
      rows.value = null;
    } catch (err) {
      const issues = err instanceof ApiError && Array.isArray(err.detail) ? err.detail : [];
      const atRows: Record<number, string> = {};
      for (const issue of issues as { field?: unknown; message?: unknown }[]) {
        const i = rowOfIssue(kept, String(issue?.field ?? ""));
        if (i !== null) atRows[i] = String(issue.message ?? "refused");
      }
      rowErrors.value = atRows;
      error.value = `Labels not saved: ${message(err)}`;
    } finally {
      saving.value = false;
    }
  };
  const errs = rowErrors.value;
  return (
    <form class="labels-form" onSubmit={save} aria-label={`Labels of ${props.name}`}>
      {list.length === 0 ? <p class="muted">No labels: add one.</p> : null}
      {list.map((r, i) => {
        const msg = errs[i];
        const described = msg ? `${prefix}-${i}-error` : undefined;
        return (
          // Keyed by place: a label being typed has no identity of its own.
          <div class="label-row" key={i}>
            <input
              aria-label={`Label ${i + 1} key`}
              value={r.key}
              aria-invalid={msg ? "true" : undefined}
              aria-describedby={described}
              onInput={(e) => set(i, "key", (e.currentTarget as HTMLInputElement).value)}
            />
            <span aria-hidden="true">=</span>
            <input
              aria-label={`Label ${i + 1} value`}
              value={r.value}
              aria-invalid={msg ? "true" : undefined}
              aria-describedby={described}
              onInput={(e) => set(i, "value", (e.currentTarget as HTMLInputElement).value)}
            />
            <button
              type="button"
              class="danger"
              onClick={() => {
                rows.value = list.filter((_, j) => j !== i);
                rowErrors.value = {};
              }}
            >
              Remove<span class="visually-hidden"> label {i + 1}</span>
            </button>
            {msg ? (
              <small class="error" id={described}>
                {msg}
              </small>
            ) : null}
          </div>
        );
      })}
      <ErrorLine text={error.value} />
      <div class="actions">
        <button
          type="button"
          onClick={() => {
            rows.value = [...list, { key: "", value: "" }];
          }}
        >
          Add label
        </button>
        <button type="submit" disabled={saving.value}>
          Save labels
        </button>
        <button
          type="button"
          onClick={() => {
            rows.value = null;
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
