import type { CostSeries, CostSeriesPeriod } from "@nanobanana/client";
import type { ChartConfiguration } from "chart.js";
import { useEffect, useMemo, useState } from "react";
import { ChartView, colour, money } from "../charts.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { Toggle } from "../components/Fields.tsx";
import { isAbort } from "../errors.ts";
import { percent, usd } from "../format.ts";
import { useSession } from "../session.tsx";

type By = "day" | "week" | "month";
const COUNT: Record<By, number> = { day: 30, week: 12, month: 12 };
const QUALITY_ORDER = ["draft", "standard", "premium"];

function keysOf(
  periods: CostSeriesPeriod[],
  pick: (p: CostSeriesPeriod) => Array<{ key: string }>,
) {
  const keys = new Set<string>();
  for (const p of periods) for (const x of pick(p)) keys.add(x.key);
  return [...keys];
}

export default function CostPage() {
  const { nb } = useSession();
  const [by, setBy] = useState<By>("day");
  const [series, setSeries] = useState<CostSeries | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    nb.costSeries({ by, count: COUNT[by], signal: controller.signal }).then(
      (s) => {
        setSeries(s);
        setLoading(false);
      },
      (e: unknown) => {
        if (isAbort(e)) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [nb, by]);

  const periods = series?.periods ?? [];
  const labels = periods.map((p) => p.period);
  const budget = series?.budget;

  const spendConfig = useMemo((): ChartConfiguration<"bar"> => {
    const models = keysOf(periods, (p) => p.byModel.map((m) => ({ key: m.model })));
    const datasets: ChartConfiguration<"bar">["data"]["datasets"] = models.map((model, i) => ({
      label: model,
      data: periods.map((p) => p.byModel.find((m) => m.model === model)?.usd ?? 0),
      backgroundColor: colour(i),
      stack: "spend",
    }));
    // Images on their own axis: the chart says something even where the images were free.
    datasets.push({
      type: "line",
      label: "Images",
      data: periods.map((p) => p.images),
      borderColor: "#7a8a99",
      backgroundColor: "#7a8a99",
      pointRadius: 2,
      yAxisID: "images",
    } as unknown as ChartConfiguration<"bar">["data"]["datasets"][number]);
    if (by === "month" && budget?.monthlyUsd) {
      datasets.push({
        type: "line",
        label: "Monthly budget",
        data: periods.map(() => budget.monthlyUsd as number),
        borderColor: "#c4553a",
        borderDash: [6, 4],
        borderWidth: 2,
        pointRadius: 0,
      } as unknown as ChartConfiguration<"bar">["data"]["datasets"][number]);
    }
    return {
      type: "bar",
      data: { labels, datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { callback: money } },
          images: {
            position: "right",
            beginAtZero: true,
            grid: { drawOnChartArea: false },
            ticks: { precision: 0 },
            title: { display: true, text: "images" },
          },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: (c) =>
                c.dataset.label === "Images"
                  ? `Images: ${c.parsed.y}`
                  : `${c.dataset.label}: ${usd(c.parsed.y)}`,
            },
          },
        },
      },
    };
  }, [periods, labels, by, budget]);

  const qualityConfig = useMemo((): ChartConfiguration<"bar"> => {
    const tiers = keysOf(periods, (p) => p.byQuality.map((q) => ({ key: q.quality }))).sort(
      (a, b) => QUALITY_ORDER.indexOf(a) - QUALITY_ORDER.indexOf(b),
    );
    return {
      type: "bar",
      data: {
        labels,
        datasets: tiers.map((tier, i) => ({
          label: tier,
          data: periods.map((p) => p.byQuality.find((q) => q.quality === tier)?.usd ?? 0),
          backgroundColor: colour(i + 1),
          stack: "quality",
        })),
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { callback: money } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    };
  }, [periods, labels]);

  const cacheConfig = useMemo(
    (): ChartConfiguration<"bar"> => ({
      type: "bar",
      data: {
        labels,
        datasets: [
          {
            label: "Saved by the cache",
            data: periods.map((p) => p.savedUsd),
            backgroundColor: colour(0),
            yAxisID: "y",
          },
          {
            type: "line",
            label: "Cache hits",
            data: periods.map((p) => p.cacheHits),
            borderColor: colour(1),
            backgroundColor: colour(1),
            yAxisID: "hits",
          } as unknown as ChartConfiguration<"bar">["data"]["datasets"][number],
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { beginAtZero: true, ticks: { callback: money }, position: "left" },
          hits: {
            beginAtZero: true,
            position: "right",
            grid: { drawOnChartArea: false },
            ticks: { precision: 0 },
          },
        },
        plugins: { legend: { position: "bottom" } },
      },
    }),
    [periods, labels],
  );

  const current = periods.at(-1);
  const total = periods.reduce(
    (sum, p) => ({
      usd: sum.usd + p.usd,
      saved: sum.saved + p.savedUsd,
      images: sum.images + p.images,
    }),
    { usd: 0, saved: 0, images: 0 },
  );
  const noun = by === "day" ? "Today" : by === "week" ? "This week" : "This month";

  return (
    <section className="page page-cost">
      <header className="page-header page-header-row">
        <div>
          <h1>Cost</h1>
          <p className="muted">What your images cost, what the cache saved, and your budget.</p>
        </div>
        <Toggle
          label="Period"
          value={by}
          onChange={setBy}
          options={[
            { value: "day", label: "Day" },
            { value: "week", label: "Week" },
            { value: "month", label: "Month" },
          ]}
        />
      </header>
      <ErrorNote error={error} action="Could not load the cost" />
      {loading && !series ? (
        <div className="page-loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading…
        </div>
      ) : null}
      {series ? (
        <>
          <div className="cards">
            <div className="card">
              <span className="card-label">{noun}</span>
              <span className="card-value">{usd(current?.usd ?? 0)}</span>
              <span className="card-note">
                {current?.images ?? 0} images · {current?.cacheHits ?? 0} from cache
              </span>
            </div>
            <div className="card">
              <span className="card-label">
                Last {periods.length} {by}s
              </span>
              <span className="card-value">{usd(total.usd)}</span>
              <span className="card-note">{total.images} images</span>
            </div>
            <div className="card">
              <span className="card-label">Saved by the cache</span>
              <span className="card-value">{usd(total.saved)}</span>
              <span className="card-note">over the same {by}s</span>
            </div>
            <div className="card">
              <span className="card-label">Month to date</span>
              <span className="card-value">{usd(budget?.monthToDateUsd ?? 0)}</span>
              <span className="card-note">
                {budget?.monthlyUsd
                  ? `of ${usd(budget.monthlyUsd)} budget (${percent(
                      (budget.monthToDateUsd ?? 0) / budget.monthlyUsd,
                    )})`
                  : "no monthly budget set"}
              </span>
            </div>
          </div>
          <div className="chart-grid">
            <div className="panel chart-wide">
              <ChartView
                config={spendConfig}
                caption={`Spend per ${by}, by model${by === "month" && budget?.monthlyUsd ? ", with the monthly budget" : ""}`}
                label={`Bar chart of spend per ${by} by model; the table below has the numbers.`}
              />
            </div>
            <div className="panel">
              <ChartView
                config={qualityConfig}
                caption="Spend by quality tier"
                label={`Bar chart of spend per ${by} by quality tier.`}
              />
            </div>
            <div className="panel">
              <ChartView
                config={cacheConfig}
                caption="Cache savings"
                label={`Chart of the money saved by the cache and the cache hits per ${by}.`}
              />
            </div>
          </div>
          <div className="panel table-wrap">
            <table className="table" data-testid="cost-table">
              <caption>Cost per {by}</caption>
              <thead>
                <tr>
                  <th scope="col">Period</th>
                  <th scope="col" className="num">
                    Images
                  </th>
                  <th scope="col" className="num">
                    Spend
                  </th>
                  <th scope="col" className="num">
                    Saved
                  </th>
                  <th scope="col" className="num">
                    Cache hits
                  </th>
                  <th scope="col">By model</th>
                  <th scope="col">By tier</th>
                </tr>
              </thead>
              <tbody>
                {[...periods].reverse().map((p) => (
                  <tr key={p.period}>
                    <th scope="row">{p.period}</th>
                    <td className="num">{p.images}</td>
                    <td className="num">{usd(p.usd)}</td>
                    <td className="num">{usd(p.savedUsd)}</td>
                    <td className="num">{p.cacheHits}</td>
                    <td>
                      {p.byModel.length === 0
                        ? "—"
                        : p.byModel.map((m) => `${m.model} ${usd(m.usd)} (${m.images})`).join(", ")}
                    </td>
                    <td>
                      {p.byQuality.length === 0
                        ? "—"
                        : p.byQuality
                            .map((q) => `${q.quality} ${usd(q.usd)} (${q.images})`)
                            .join(", ")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}
