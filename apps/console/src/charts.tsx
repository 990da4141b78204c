import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartType,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "react";

// Only what the console draws: bars and lines on category/linear axes. This module is imported
// by the lazily loaded Cost and Operations pages only.
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
  Filler,
);

/** Series colours, distinguishable with and without colour vision, in light and dark themes. */
export const PALETTE = [
  "#2f6f5e",
  "#d9a520",
  "#5b6cc2",
  "#c4553a",
  "#7a8a99",
  "#9b5ba5",
  "#3c9bc4",
  "#8a6a2f",
];
export const colour = (i: number): string => PALETTE[i % PALETTE.length] as string;

function themeColours() {
  const css = getComputedStyle(document.documentElement);
  return {
    text: css.getPropertyValue("--text-muted").trim() || "#5c6670",
    grid: css.getPropertyValue("--border").trim() || "#e3e0d8",
    font: css.getPropertyValue("--font-sans").trim() || "system-ui, sans-serif",
  };
}

/**
 * A Chart.js chart in a figure. The canvas is an image with a label for screen readers; each
 * chart sits beside a table of the same numbers. New data updates the chart in place.
 */
export function ChartView<T extends ChartType>({
  config,
  label,
  caption,
  height = 260,
}: {
  config: ChartConfiguration<T>;
  label: string;
  caption?: string;
  height?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<T> | null>(null);
  const first = useRef(config);

  // Made once; new data goes through the update below.
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const theme = themeColours();
    Chart.defaults.color = theme.text;
    Chart.defaults.borderColor = theme.grid;
    Chart.defaults.font.family = theme.font;
    chart.current = new Chart(el, first.current);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data = config.data;
    if (config.options) c.options = config.options;
    c.update("none");
  }, [config]);

  return (
    <figure className="chart">
      {caption ? <figcaption>{caption}</figcaption> : null}
      <div className="chart-box" style={{ height }}>
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
    </figure>
  );
}

export const money = (v: number | string): string => {
  const n = Number(v);
  return n === 0 ? "$0" : Math.abs(n) < 0.1 ? `$${n.toFixed(3)}` : `$${n.toFixed(2)}`;
};
