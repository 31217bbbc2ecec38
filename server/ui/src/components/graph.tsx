import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { LineChart, LineChartOptions } from "../charts/line-chart.ts";

let chartModule: Promise<typeof import("../charts/line-chart.ts")> | null = null;

/** The graph module (uPlot), fetched once, the first time a graph is shown. */
export function loadCharts(): Promise<typeof import("../charts/line-chart.ts")> {
  chartModule ??= import("../charts/line-chart.ts");
  // A failed fetch (the server restarted with a new build) may be tried again later.
  chartModule.catch(() => {
    chartModule = null;
  });
  return chartModule;
}

/** What a {@link Graph} shows. */
export interface GraphProps extends Omit<LineChartOptions, "width" | "height"> {
  /** A name for tests and styles (`data-graph`). */
  name: string;
  /** Seconds since the epoch, one per value. */
  times: number[];
  values: number[];
  /** The caption: what the latest value means ("CPU 12 %"). */
  caption: string;
  /** What the graph shows, for screen readers. */
  description: string;
  /** The canvas's height in pixels (160 unless given). */
  height?: number;
}

/**
 * A line graph of a time series in a figure with a caption. The drawing module loads on demand;
 * until it is there (or if it cannot load) the caption still says the latest value.
 */
export function Graph(props: GraphProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<LineChart | null>(null);
  const failed = useSignal<string | null>(null);
  const latest = useRef(props);
  latest.current = props;
  useEffect(() => {
    let gone = false;
    let resize: ResizeObserver | null = null;
    loadCharts()
      .then((m) => {
        const el = box.current;
        if (gone || !el) return;
        const { label, stroke, format, minTop, height = 160 } = latest.current;
        chart.current = m.lineChart(el, { label, stroke, format, minTop, width: widthOf(el), height });
        chart.current.setData(latest.current.times, latest.current.values);
        resize = new ResizeObserver(() => chart.current?.setWidth(widthOf(el)));
        resize.observe(el);
      })
      .catch((e) => {
        failed.value = `the graph could not load: ${e instanceof Error ? e.message : String(e)}`;
      });
    return () => {
      gone = true;
      resize?.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setData(props.times, props.values);
  }, [props.times, props.values]);
  return (
    <figure class="graph" data-graph={props.name} data-points={props.values.length}>
      <figcaption>{props.caption}</figcaption>
      <div ref={box} class="graph-canvas" role="img" aria-label={props.description} />
      {failed.value ? <p class="error">{failed.value}</p> : null}
    </figure>
  );
}

function widthOf(el: HTMLElement): number {
  return Math.max(240, Math.floor(el.clientWidth));
}
