import type { HostInfo } from "../api/types.ts";

/** A byte count in its largest unit of at least 1 (GiB with one decimal; MiB, KiB, B whole). */
export function byteSize(bytes: number): string {
  const units: [string, number][] = [
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ];
  for (const [unit, n] of units)
    if (bytes >= n) return `${(bytes / n).toFixed(unit === "GiB" ? 1 : 0)} ${unit}`;
  return `${bytes} B`;
}

/** One gauge: a meter with its words beside it (the bar is never the only sign). */
function Gauge(props: { id: string; label: string; value: number; max: number; text: string }) {
  return (
    <div class="gauge">
      <label for={props.id}>{props.label}</label>
      <meter id={props.id} min={0} max={props.max} value={props.value} high={props.max * 0.9} />
      <span>{props.text}</span>
    </div>
  );
}

/**
 * A host's CPU, memory and disks as its agent last reported them (the host's `info`: the agent
 * sends them with its pings, and the server keeps the latest, written at most every 30 s): every
 * disk's latest state beside the graphs over time of `HostGraphs`.
 */
export function HostUsage(props: { hostId: string; info: HostInfo }) {
  const { cpuLoad, memoryTotal, memoryUsed, disks } = props.info;
  const id = (what: string) => `usage-${props.hostId}-${what}`;
  return (
    <div class="host-usage" data-testid="host-usage">
      {cpuLoad !== undefined ? (
        <Gauge
          id={id("cpu")}
          label="CPU"
          value={Math.min(100, cpuLoad)}
          max={100}
          text={`${cpuLoad.toFixed(1)} %`}
        />
      ) : null}
      {memoryTotal ? (
        <Gauge
          id={id("memory")}
          label="Memory"
          value={memoryUsed ?? 0}
          max={memoryTotal}
          text={`${byteSize(memoryUsed ?? 0)} of ${byteSize(memoryTotal)}`}
        />
      ) : null}
      {(disks ?? [])
        .filter((d) => d.size > 0)
        .map((d, i) => (
          <Gauge
            key={d.mount}
            id={id(`disk-${i}`)}
            label={`Disk ${d.mount}`}
            value={d.used}
            max={d.size}
            text={`${byteSize(d.used)} of ${byteSize(d.size)}`}
          />
        ))}
    </div>
  );
}
