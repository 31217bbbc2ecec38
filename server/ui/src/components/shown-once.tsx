import { useSignal } from "@preact/signals";
import type { ComponentChildren } from "preact";

/**
 * Something shown this once (a new key's secret, a trigger URL with its key): what the caller
 * shows, a button copying `copy` to the clipboard, and Done to put it away.
 */
export function ShownOnce(props: {
  label: string;
  copy: string;
  copyLabel: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const copied = useSignal(false);
  const copy = async () => {
    await navigator.clipboard.writeText(props.copy);
    copied.value = true;
  };
  return (
    <section class="card new-secret" aria-label={props.label}>
      {props.children}
      <button type="button" onClick={() => void copy()}>
        {props.copyLabel}
      </button>{" "}
      <button type="button" class="link-button" onClick={props.onClose}>
        Done
      </button>{" "}
      <span role="status">{copied.value ? "Copied." : ""}</span>
    </section>
  );
}
