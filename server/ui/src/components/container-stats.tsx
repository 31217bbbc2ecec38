import { useSignal } from "@preact/signals";
import { api } from "../api/client.ts";
import type { Container } from "../api/types.ts";
import { ErrorLine } from "./feedback.tsx";
import { Graph } from "./graph.tsx";
import { usePoll } from "./use-poll.ts";

/** The container `stats` link's answer: one sample from the container's agent. */
interface StatsReply {
  cpuPercent: number;
  memoryUsage: number;
  memoryLimit: number;
}

interface Sample {
  /** Seconds since the epoch. */
  t: number;
  cpu: number;
  memory: number;
  limit: number;
}

/** How often the page asks for a sample while it is open. */
const pollMs = 2000;
/** Samples kept: the last four minutes at one every two seconds. */
const keep = 120;

const mib = (bytes: number) => bytes / 1024 / 1024;
const mibText = (v: number) => `${v > 0 && v < 10 ? v.toFixed(1) : Math.round(v)} MiB`;

/**
 * A running container's CPU and memory, as graphs of the samples taken while the page is open: its
 * `stats` link is read every two seconds (one request at a time), and no more once the page closes
 * or the container stops.
 */
export function ContainerStats(props: { container: Container }) {
  const samples = useSignal<Sample[]>([]);
  const error = useSignal<string | null>(null);
  const url = props.container.links.stats;
  const running = props.container.state === "running";
  usePoll(
    running && !!url,
    pollMs,
    async (stopped) => {
      const s = await api.get<StatsReply>(url!);
      if (stopped()) return;
      const sample = { t: Date.now() / 1000, cpu: s.cpuPercent, memory: s.memoryUsage, limit: s.memoryLimit };
      samples.value = [...samples.value, sample].slice(-keep);
    },
    (text) => {
      error.value = text;
    },
    [url],
  );
  if (!running) return null;
  const list = samples.value;
  const last = list.at(-1);
  const times = list.map((s) => s.t);
  return (
    <section class="stats" aria-labelledby="stats-title">
      <h2 id="stats-title">Resource use</h2>
      <ErrorLine text={error.value && `Stats: ${error.value}`} />
      {!last && !error.value ? <p aria-busy="true">Reading the first sample…</p> : null}
      <div class="graphs">
        <Graph
          name="cpu"
          label="CPU"
          stroke="#1f6feb"
          minTop={5}
          format={(v) => `${Math.round(v)} %`}
          times={times}
          values={list.map((s) => s.cpu)}
          caption={last ? `CPU ${last.cpu.toFixed(1)} %` : "CPU"}
          description="CPU use in percent of one core, sampled every two seconds"
        />
        <Graph
          name="memory"
          label="Memory"
          stroke="#8250df"
          minTop={1}
          format={mibText}
          times={times}
          values={list.map((s) => mib(s.memory))}
          caption={last ? `Memory ${mibText(mib(last.memory))} of ${mibText(mib(last.limit))}` : "Memory"}
          description="Memory in use in MiB, sampled every two seconds"
        />
      </div>
    </section>
  );
}
