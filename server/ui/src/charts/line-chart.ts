/**
 * The graphs' drawing, loaded on demand: uPlot (about 20 KB gzipped) is imported only here, so the
 * first load of the UI does not carry it; pages that show a graph import this module when they open.
 */
import uPlot from "uplot";

/** How one graph looks: its series' name, colour and how a value is written on the y axis. */
export interface LineChartOptions {
  label: string;
  /** The line's colour (also what the browser tests look for on the canvas). */
  stroke: string;
  width: number;
  height: number;
  /** Writes a y value for the axis (e.g. "12 %", "80 MiB"). */
  format: (value: number) => string;
  /** The top of the y scale at least (the data may push it higher): 100 for a percentage of one core. */
  minTop: number;
}

/** A drawn graph: new samples replace the data; destroy removes the canvas. */
export interface LineChart {
  /** Times in seconds since the epoch, values of the same length. */
  setData(times: number[], values: number[]): void;
  setWidth(width: number): void;
  destroy(): void;
}

/** Draws a time series line graph into `into` (uPlot, on a canvas). */
export function lineChart(into: HTMLElement, options: LineChartOptions): LineChart {
  const plot = new uPlot(
    {
      width: options.width,
      height: options.height,
      // The caption above the graph says the latest value; uPlot's legend table adds nothing.
      legend: { show: false },
      cursor: { show: true, drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        // From zero, so a flat line near the bottom reads as "little", not as "half the graph".
        y: { range: (_u, _min, max) => [0, Math.max(options.minTop, max * 1.15)] },
      },
      axes: [{}, { values: (_u, ticks) => ticks.map(options.format), size: 70 }],
      series: [{}, { label: options.label, stroke: options.stroke, width: 2, points: { show: false } }],
    },
    [[], []],
    into,
  );
  return {
    setData: (times, values) => plot.setData([times, values]),
    setWidth: (width) => plot.setSize({ width, height: options.height }),
    destroy: () => plot.destroy(),
  };
}
