import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import type { Resource } from "../api/types.ts";

/** One action a resource may offer: its name in `actions`, the button's verb, and whether to confirm. */
export interface ActionSpec {
  action: string;
  verb: string;
  confirm?: string;
  body?: unknown;
}

/**
 * Buttons for the actions a resource offers now (its `actions` map decides), each labelled with the
 * resource's name for screen readers; the server's refusal is shown beside them.
 */
export function ActionButtons(props: { resource: Resource; specs: ActionSpec[]; onDone?: () => void }) {
  const r = props.resource;
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const run = async (spec: ActionSpec) => {
    if (spec.confirm && !confirm(spec.confirm)) return;
    busy.value = true;
    error.value = null;
    try {
      await api.action(r, spec.action, spec.body ?? {});
      props.onDone?.();
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      busy.value = false;
    }
  };
  return (
    <span class="row-actions">
      {props.specs
        .filter((spec) => r.actions[spec.action])
        .map((spec) => (
          <button
            key={spec.action}
            type="button"
            class={spec.confirm ? "danger" : undefined}
            disabled={busy.value}
            aria-label={`${spec.verb} ${r.name ?? r.id}`}
            onClick={() => void run(spec)}
          >
            {spec.verb}
          </button>
        ))}
      {error.value ? (
        <span class="error" role="alert">
          {error.value}
        </span>
      ) : null}
    </span>
  );
}
