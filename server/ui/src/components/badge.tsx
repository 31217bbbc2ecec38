/** A state or health word in a coloured pill; the word is always written (colour is never the only sign). */
export function Badge(props: { value: string | null | undefined; label?: string }) {
  const value = props.value ?? "unknown";
  return (
    <span class={`badge badge-${tone(value)}`} title={props.label}>
      {props.label ? <span class="visually-hidden">{props.label}: </span> : null}
      {value}
    </span>
  );
}

/** The colour family of a state or health word. */
export function tone(value: string): "good" | "bad" | "busy" | "idle" {
  if (["healthy", "active", "running", "started-once", "up"].includes(value)) return "good";
  if (["unhealthy", "error", "disconnected", "failed", "down"].includes(value)) return "bad";
  if (
    [
      "initializing",
      "degraded",
      "reconnecting",
      "activating",
      "upgrading",
      "starting",
      "updating-active",
    ].some((v) => value === v) ||
    value.endsWith("ing")
  )
    return "busy";
  return "idle";
}
