import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { api } from "../api/client.ts";
import type { Service } from "../api/types.ts";

/**
 * Scale buttons of a service: -1, the number, +1; the server's answer is the truth. The number is
 * a button that turns into a number field (Enter or leaving it sets the scale, Escape gives up):
 * a page of 100 services drew 100 number fields otherwise, the costliest part of the stacks page's
 * HTML (BENCHMARKS.md section 20: its static copy 26 % faster without them).
 */
export function ScaleControl(props: { service: Service }) {
  const s = props.service;
  const busy = useSignal(false);
  const editing = useSignal(false);
  const error = useSignal<string | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const number = useRef<HTMLButtonElement>(null);
  // Left by Enter or Escape: the keyboard goes back to the number (not when the user clicked away).
  const refocus = useRef(false);
  useEffect(() => {
    if (editing.value) field.current?.select();
    else if (refocus.current) number.current?.focus();
    refocus.current = false;
  }, [editing.value]);
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
      {editing.value ? (
        <input
          ref={field}
          type="number"
          min={0}
          value={s.scale}
          aria-label={`Scale of ${name}`}
          onKeyDown={(e) => {
            if (e.key !== "Enter" && e.key !== "Escape") return;
            refocus.current = true;
            editing.value = false;
            if (e.key === "Enter") void set(Number(e.currentTarget.value));
          }}
          onBlur={(e) => {
            if (!editing.value) return;
            editing.value = false;
            void set(Number(e.currentTarget.value));
          }}
        />
      ) : (
        <button
          ref={number}
          type="button"
          class="scale-value"
          aria-label={`Scale of ${name}: ${s.scale}, set a number`}
          data-testid="scale"
          disabled={busy.value}
          onClick={() => {
            editing.value = true;
          }}
        >
          {s.scale}
        </button>
      )}
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
