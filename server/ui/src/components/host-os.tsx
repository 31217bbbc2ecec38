/** A host card's CorralOS part: the build, both slots, how the last upgrade ended, and "Upgrade OS". */
import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import type { Host } from "../api/types.ts";
import { ErrorLine, message } from "./feedback.tsx";

/** Outcomes of the slot history worth a warning on the card. */
const bad = new Set(["rolled-back", "unhealthy", "upgrade-refused"]);

/** The build line, the last upgrade's trouble if any, and the upgrade form (when offered). */
export function HostOs(props: { host: Host }) {
  const h = props.host;
  const os = h.info?.corralOs;
  const version = useSignal("");
  const error = useSignal<string | null>(null);
  if (!os) return null;
  const up = h.osUpgrade;
  const upgrade = async (e: Event) => {
    e.preventDefault();
    error.value = null;
    try {
      await api.action(h, "osupgrade", { version: version.value.trim() });
      version.value = "";
    } catch (err) {
      error.value = message(err);
    }
  };
  const other = os.otherSlot;
  return (
    <div class="host-os">
      <p>
        CorralOS {os.version}
        {os.slot ? ` (slot ${os.slot})` : ""}
        {other ? ` · slot ${other.slot}: ${other.version ?? "empty"}` : ""}
      </p>
      {os.lastBoot && bad.has(os.lastBoot.outcome) ? (
        <p class="error">
          Last upgrade {os.lastBoot.outcome}
          {os.lastBoot.reason ? `: ${os.lastBoot.reason}` : ""}
        </p>
      ) : null}
      {up && up.state !== "done" ? (
        <p class={up.state === "failed" ? "error" : "muted"}>
          OS upgrade{up.target ? ` to ${up.target}` : ""}: {up.state}
          {up.reason ? ` (${up.reason})` : ""}
        </p>
      ) : null}
      {h.actions.osupgrade ? (
        <form class="row-actions" onSubmit={(e) => void upgrade(e)}>
          <label>
            OS version for {h.hostname}{" "}
            <input
              value={version.value}
              onInput={(e) => {
                version.value = (e.target as HTMLInputElement).value;
              }}
              placeholder="e.g. 0.2.0"
              size={10}
            />
          </label>{" "}
          <button type="submit" disabled={!version.value.trim()}>
            Upgrade OS
          </button>
        </form>
      ) : null}
      <ErrorLine text={error.value} />
    </div>
  );
}
