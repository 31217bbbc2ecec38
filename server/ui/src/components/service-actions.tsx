import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import type { Service } from "../api/types.ts";

const labels: [action: string, verb: string][] = [
  ["activate", "Start"],
  ["deactivate", "Stop"],
  ["restart", "Restart"],
];

/** The service's own actions (start, stop, restart): shown when its `actions` map offers them. */
export function ServiceActions(props: { service: Service }) {
  const s = props.service;
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const run = async (action: string) => {
    busy.value = true;
    error.value = null;
    try {
      await api.action(s, action, action === "restart" ? { rollingRestartStrategy: {} } : {});
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      busy.value = false;
    }
  };
  return (
    <span class="row-actions">
      {labels
        .filter(([action]) => s.actions[action])
        .map(([action, verb]) => (
          <button
            key={action}
            type="button"
            disabled={busy.value}
            aria-label={`${verb} ${s.name ?? s.id}`}
            onClick={() => void run(action)}
          >
            {verb}
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
