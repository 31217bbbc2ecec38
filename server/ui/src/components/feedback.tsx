/** Small pieces of feedback every page uses: an error line, the text of an error, a Remove button. */
import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import type { Resource } from "../api/types.ts";

/** The text of anything thrown. */
export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An error line announced to screen readers, or nothing. */
export function ErrorLine(props: { text: string | null; id?: string }) {
  return props.text ? (
    <p id={props.id} class="error" role="alert">
      {props.text}
    </p>
  ) : null;
}

/**
 * A Remove button (DELETE on the resource, after a confirmation, with `consequence` added to its
 * question when given); the refusal is shown beside it.
 */
export function RemoveButton(props: {
  resource: Resource;
  what: string;
  consequence?: string;
  onDone: () => void;
}) {
  const error = useSignal<string | null>(null);
  const r = props.resource;
  const label = `${props.what} ${r.name ?? r.id}`;
  const run = async () => {
    if (!confirm(`Remove ${label}?${props.consequence ? ` ${props.consequence}` : ""}`)) return;
    error.value = null;
    try {
      await api.remove(r);
      props.onDone();
    } catch (e) {
      error.value = message(e);
    }
  };
  return (
    <>
      <button type="button" class="danger" aria-label={`Remove ${label}`} onClick={() => void run()}>
        Remove
      </button>
      {error.value ? (
        <span class="error" role="alert">
          {error.value}
        </span>
      ) : null}
    </>
  );
}
