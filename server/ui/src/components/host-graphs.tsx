import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { api } from "../api/client.ts";
import {
  byteUnit,
  type HostSample,
  type HostStatsReply,
  mergeSamples,
  nextStatsUrl,
} from "../api/host-samples.ts";
import { ErrorLine } from "./feedback.tsx";
import { Graph } from "./graph.tsx";
import { usePoll } from "./use-poll.ts";

/** How often a visible card asks for new samples: the agents' ping interval, which brings them. */
const pollMs = 5000;
/** The graphs are small: a card holds three of them besides its gauges. */
const height = 120;

function bytesGraph(
  name: string,
  label: string,
  stroke: string,
  samples: HostSample[],
  used: (s: HostSample) => number,
  total: number,
  what: string,
) {
  const unit = byteUnit(total);
  const text = (v: number) => `${v > 0 && v < 10 ? v.toFixed(1) : Math.round(v)} ${unit.name}`;
  return (
    <Graph
      // A new unit (the host's memory or disk changed size) needs a new axis: a new graph.
      key={`${name}-${unit.name}-${total}`}
      name={name}
      label={label}
      stroke={stroke}
      height={height}
      // Up to the total, so the line's height reads as how full it is.
      minTop={total / unit.size}
      format={text}
      times={samples.map((s) => s.at / 1000)}
      values={samples.map((s) => used(s) / unit.size)}
      caption={`${label} over time`}
      description={`${what} in ${unit.name}, of ${text(total / unit.size)}, over the last ${minutes(samples)}`}
    />
  );
}

function minutes(samples: HostSample[]): string {
  const first = samples[0];
  const last = samples.at(-1);
  const n = first && last ? Math.max(1, Math.round((last.at - first.at) / 60_000)) : 1;
  return n === 1 ? "minute" : `${n} minutes`;
}

/**
 * A host's CPU, memory and disk use over time (its `stats` link: the samples its agent's pings
 * brought the server, the last hour at most). The card reads the whole history when it first comes
 * into view, then only new samples every five seconds while it stays in view and the page is open;
 * the drawing module (uPlot) loads with the first graph.
 */
export function HostGraphs(props: { link: string; hostname: string }) {
  const box = useRef<HTMLDivElement>(null);
  const visible = useSignal(false);
  const samples = useSignal<HostSample[]>([]);
  const disk = useSignal<string | null>(null);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    if (typeof IntersectionObserver === "undefined") {
      visible.value = true;
      return;
    }
    const seen = new IntersectionObserver((entries) => {
      visible.value = entries.some((e) => e.isIntersecting);
    });
    seen.observe(el);
    return () => seen.disconnect();
  }, []);
  const show = visible.value;
  usePoll(
    show,
    pollMs,
    async (stopped) => {
      const reply = await api.get<HostStatsReply>(nextStatsUrl(props.link, samples.value));
      if (stopped()) return;
      samples.value = mergeSamples(samples.value, reply.samples, reply.capacity);
      disk.value = reply.disk;
    },
    (text) => {
      error.value = text;
    },
    [props.link],
  );
  const list = samples.value;
  const last = list.at(-1);
  return (
    <div ref={box} class="host-graphs" data-testid="host-graphs">
      <ErrorLine text={error.value && `Graphs of ${props.hostname}: ${error.value}`} />
      {last ? (
        <div class="graphs">
          <Graph
            name="host-cpu"
            label="CPU"
            stroke="#1f6feb"
            height={height}
            minTop={10}
            format={(v) => `${Math.round(v)} %`}
            times={list.map((s) => s.at / 1000)}
            values={list.map((s) => s.cpuLoad)}
            caption="CPU over time"
            description={`Processor use in percent of all cores, over the last ${minutes(list)}`}
          />
          {last.memoryTotal > 0
            ? bytesGraph(
                "host-memory",
                "Memory",
                "#8250df",
                list,
                (s) => s.memoryUsed,
                last.memoryTotal,
                "Memory in use",
              )
            : null}
          {last.diskTotal > 0
            ? bytesGraph(
                "host-disk",
                `Disk ${disk.value ?? ""}`.trim(),
                "#1a7f37",
                list,
                (s) => s.diskUsed,
                last.diskTotal,
                `Space used on ${disk.value ?? "the disk"}`,
              )
            : null}
        </div>
      ) : null}
    </div>
  );
}
