import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import type { Service } from "../api/types.ts";

/** Scale buttons of a service: -1, the number (editable), +1; the server's answer is the truth. */
export function ScaleControl(props: { service: Service }) {
  const s = props.service;
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const set = async (scale: number) => {
    if (!Number.isInteger(scale) || scale < 0 || scale === s.scale) return;
    busy.value = true;
    error.value = null;
    try {
      await api.update<Service>(s, { scale });
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      busy.value = false;
    }
  };
  if (s.global) return <span>global</span>;
  const name = s.name ?? s.id;
  return (
    <span class="scale">
      <button
        type="button"
        aria-label={`Scale ${name} down`}
        disabled={busy.value || s.scale <= 0}
        onClick={() => void set(s.scale - 1)}
      >
        −
      </button>
      <input
        type="number"
        min={0}
        value={s.scale}
        aria-label={`Scale of ${name}`}
        data-testid="scale"
        disabled={busy.value}
        onChange={(e) => void set(Number((e.currentTarget as HTMLInputElement).value))}
      />
      <button
        type="button"
        aria-label={`Scale ${name} up`}
        disabled={busy.value}
        onClick={() => void set(s.scale + 1)}
      >
        +
      </button>
      {error.value ? (
        <span class="error" role="alert">
          {error.value}
        </span>
      ) : null}
    </span>
  );
}
