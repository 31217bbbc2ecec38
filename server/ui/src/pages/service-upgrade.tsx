import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import { type EditableLaunch, FormError, fromForm, type LaunchForm, toForm } from "../api/launch-form.ts";
import { tables } from "../api/live.ts";
import { navigate } from "../router.ts";

type Field = keyof LaunchForm;

const fields: [Field, string, "line" | "lines" | "number", string?][] = [
  ["image", "Image", "line"],
  ["command", "Command", "line", "Arguments separated by spaces; quote an argument holding spaces."],
  ["environment", "Environment variables", "lines", "One KEY=VALUE per line."],
  ["ports", "Ports", "lines", "One per line, e.g. 8080:80/tcp."],
  ["labels", "Labels", "lines", "One KEY=VALUE per line."],
  [
    "scheduling",
    "Scheduling rules",
    "lines",
    "Labels under io.rancher.scheduler., e.g. io.rancher.scheduler.affinity:host_label=zone=a.",
  ],
  ["healthPort", "Health check port", "number", "Empty: no health check."],
  ["healthRequestLine", "Health check request line", "line", "e.g. GET /healthz; empty: a TCP connect."],
  ["healthInterval", "Health check interval (ms)", "number"],
  ["healthyThreshold", "Healthy threshold", "number"],
  ["unhealthyThreshold", "Unhealthy threshold", "number"],
];

/**
 * Edits a service's launch configuration as an in-service upgrade (image, command, environment,
 * ports, labels, scheduling rules, health check); fields the form does not show are kept.
 */
export function ServiceUpgradePage(props: { projectId: string; id: string }) {
  const error = useSignal<{ field?: Field; message: string } | null>(null);
  const busy = useSignal(false);
  const svc = tables.service.row(props.id)?.value;
  if (!svc)
    return tables.service.loaded.value ? (
      <p>Service {props.id} not found.</p>
    ) : (
      <p aria-busy="true">Loading…</p>
    );
  const current = svc.launchConfig as EditableLaunch;
  const initial = toForm(current);
  const submit = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const form = Object.fromEntries(
      fields.map(([f]) => [f, String(data.get(f) ?? "")]),
    ) as unknown as LaunchForm;
    error.value = null;
    try {
      const launchConfig = fromForm(form, current);
      busy.value = true;
      await api.action(svc, "upgrade", {
        inServiceStrategy: {
          launchConfig,
          batchSize: Number(data.get("batchSize") || 1),
          intervalMillis: Number(data.get("intervalMillis") || 2000),
          startFirst: data.get("startFirst") === "on",
        },
      });
      navigate(`/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(svc.stackId)}`);
    } catch (err) {
      const field = err instanceof FormError ? err.field : undefined;
      error.value = { field, message: err instanceof Error ? err.message : String(err) };
      if (field) document.getElementById(`lc-${field}`)?.focus();
    } finally {
      busy.value = false;
    }
  };
  return (
    <>
      <h1>Upgrade service {svc.name}</h1>
      <form class="stack-form" onSubmit={submit}>
        {fields.map(([f, label, kind, hint]) => {
          const common = {
            id: `lc-${f}`,
            name: f,
            "aria-invalid": error.value?.field === f,
            "aria-describedby": hint ? `lc-${f}-hint` : undefined,
          };
          return (
            <div key={f} class="field">
              <label for={`lc-${f}`}>{label}</label>
              {kind === "lines" ? (
                <textarea {...common} rows={3} spellcheck={false} defaultValue={initial[f]} />
              ) : (
                <input
                  {...common}
                  inputMode={kind === "number" ? "numeric" : undefined}
                  required={f === "image"}
                  defaultValue={initial[f]}
                />
              )}
              {hint ? (
                <small id={`lc-${f}-hint`} class="muted">
                  {hint}
                </small>
              ) : null}
            </div>
          );
        })}
        <fieldset>
          <legend>Rollout</legend>
          <label>
            Batch size <input name="batchSize" inputMode="numeric" defaultValue="1" />
          </label>
          <label>
            Interval between batches (ms){" "}
            <input name="intervalMillis" inputMode="numeric" defaultValue="2000" />
          </label>
          <label>
            <input type="checkbox" name="startFirst" /> Start the new container before stopping the old
          </label>
        </fieldset>
        {error.value ? (
          <p class="error" role="alert">
            {error.value.message}
          </p>
        ) : null}
        <button type="submit" disabled={busy.value || !svc.actions.upgrade}>
          Upgrade
        </button>
      </form>
    </>
  );
}
