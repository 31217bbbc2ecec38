import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { api } from "../api/client.ts";
import type { Container } from "../api/types.ts";

interface HostAccess {
  url: string;
  token: string;
}

const maxLines = 5000;

/**
 * A container's logs, streamed: the `logs` action grants a one-use websocket, whose binary frames
 * carry the output. Follow keeps the view at the bottom; search filters the lines shown.
 */
export function LogsPanel(props: { container: Container }) {
  const lines = useSignal<string[]>([]);
  const status = useSignal("not started");
  const follow = useSignal(true);
  const timestamps = useSignal(false);
  const search = useSignal("");
  const socket = useRef<WebSocket | null>(null);
  const view = useRef<HTMLPreElement>(null);

  const stop = () => {
    socket.current?.close();
    socket.current = null;
  };
  useEffect(() => stop, []);
  useEffect(() => {
    if (follow.value && view.current) view.current.scrollTop = view.current.scrollHeight;
  });

  const start = async () => {
    stop();
    lines.value = [];
    status.value = "connecting";
    try {
      const access = await api.action<HostAccess>(props.container, "logs", {
        follow: true,
        lines: 200,
        timestamps: timestamps.value,
      });
      const ws = new WebSocket(access.url);
      ws.binaryType = "arraybuffer";
      socket.current = ws;
      const decoder = new TextDecoder();
      let partial = "";
      ws.onopen = () => {
        status.value = "streaming";
      };
      ws.onmessage = (m) => {
        const text =
          partial + (typeof m.data === "string" ? m.data : decoder.decode(m.data, { stream: true }));
        const parts = text.split("\n");
        partial = parts.pop() ?? "";
        if (parts.length) lines.value = [...lines.value, ...parts].slice(-maxLines);
      };
      ws.onclose = (e) => {
        if (partial) lines.value = [...lines.value, partial].slice(-maxLines);
        partial = "";
        if (socket.current === ws) status.value = `ended${e.reason ? `: ${e.reason}` : ""}`;
      };
    } catch (e) {
      status.value = `failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  };
  const needle = search.value.toLowerCase();
  const shown = needle ? lines.value.filter((l) => l.toLowerCase().includes(needle)) : lines.value;
  return (
    <section aria-labelledby="logs-title" class="logs">
      <h2 id="logs-title">Logs</h2>
      <div class="filters">
        <button type="button" onClick={() => void start()} disabled={!props.container.actions.logs}>
          {socket.current ? "Restart logs" : "Show logs"}
        </button>
        <label>
          <input
            type="checkbox"
            checked={follow.value}
            onChange={(e) => {
              follow.value = (e.currentTarget as HTMLInputElement).checked;
            }}
          />
          Follow
        </label>
        <label>
          <input
            type="checkbox"
            checked={timestamps.value}
            onChange={(e) => {
              timestamps.value = (e.currentTarget as HTMLInputElement).checked;
            }}
          />
          Timestamps (applies on restart)
        </label>
        <label>
          Search
          <input
            type="search"
            value={search.value}
            onInput={(e) => {
              search.value = (e.currentTarget as HTMLInputElement).value;
            }}
          />
        </label>
        <span role="status">{status.value}</span>
      </div>
      <div class="log-view" role="log" aria-label="Log output">
        <pre ref={view} data-testid="logs">
          {shown.join("\n")}
        </pre>
      </div>
    </section>
  );
}
