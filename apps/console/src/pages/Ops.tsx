import type {
  OperationsStats as AdminStats,
  ApiKeyInfo,
  CreatedApiKey as CreatedKey,
  NanoBanana as Sdk,
  TemplateStatsItem as TemplateStat,
} from "@nanobanana/client";
import type { ChartConfiguration } from "chart.js";
import { useCallback, useEffect, useId, useMemo, useState } from "react";
import { ChartView, colour } from "../charts.tsx";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { InputField } from "../components/Fields.tsx";
import { isAbort } from "../errors.ts";
import { dateTime, percent } from "../format.ts";
import { useSession } from "../session.tsx";

const SAMPLE_MS = 5000;
const MAX_SAMPLES = 120; // ten minutes of samples
/** Queue states that are work still to do. */
const BACKLOG = ["waiting", "active", "delayed", "prioritized", "paused"];

interface Sample {
  at: number;
  depth: Record<string, number>;
}

const backlogOf = (states: Record<string, number>) =>
  BACKLOG.reduce((sum, s) => sum + (states[s] ?? 0), 0);

/** "2026-11-26T02" → "02:00". */
const hourLabel = (h: string) => `${h.slice(11, 13)}:00`;

const timeLabel = (at: number) =>
  new Date(at).toLocaleTimeString(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });

export default function OpsPage() {
  const [links, setLinks] = useState({ bullBoard: "/admin/queues", metrics: "/metrics" });
  const { nb } = useSession();
  const [stats, setStats] = useState<AdminStats | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const sample = async () => {
      try {
        const s = await nb.admin.stats({ hours: 24, signal: controller.signal });
        setStats(s);
        if (s.links) setLinks(s.links);
        setError(null);
        const depth = Object.fromEntries(
          Object.entries(s.queues).map(([queue, states]) => [queue, backlogOf(states)]),
        );
        setSamples((old) => [...old.slice(-(MAX_SAMPLES - 1)), { at: Date.now(), depth }]);
      } catch (e) {
        if (isAbort(e)) return;
        setError(e);
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void sample(), SAMPLE_MS);
    };
    void sample();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [nb]);

  return (
    <section className="page page-ops">
      <header className="page-header page-header-row">
        <div>
          <h1>Operations</h1>
          <p className="muted">
            Queues, throughput and errors of the whole service, sampled every 5 s while this page is
            open.
          </p>
        </div>
        <ul className="links">
          <li>
            <a href={links.bullBoard} target="_blank" rel="noopener">
              Bull Board
            </a>
            <span className="muted small"> (user: any, password: your admin key)</span>
          </li>
          <li>
            <a href={links.metrics} target="_blank" rel="noopener">
              Prometheus metrics
            </a>
          </li>
        </ul>
      </header>
      <ErrorNote error={error} action="Could not load the statistics" />
      {stats ? <StatsView stats={stats} samples={samples} /> : null}
      {!stats && !error ? (
        <div className="page-loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading…
        </div>
      ) : null}
      <TemplateStats nb={nb} />
      <Keys nb={nb} />
    </section>
  );
}

function StatsView({ stats, samples }: { stats: AdminStats; samples: Sample[] }) {
  const queues = Object.keys(stats.queues);
  const states = [...new Set(Object.values(stats.queues).flatMap((s) => Object.keys(s)))];

  const depthConfig = useMemo(
    (): ChartConfiguration<"line"> => ({
      type: "line",
      data: {
        labels: samples.map((s) => timeLabel(s.at)),
        datasets: queues.map((q, i) => ({
          label: q,
          data: samples.map((s) => s.depth[q] ?? 0),
          borderColor: colour(i),
          backgroundColor: colour(i),
          pointRadius: 2,
          tension: 0.2,
        })),
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
      },
    }),
    [samples, queues],
  );

  const throughputConfig = useMemo((): ChartConfiguration<"bar"> => {
    const n = Math.max(stats.throughput.completed.length, stats.throughput.failed.length);
    const labels = Array.from({ length: n }, (_, i) => (i === n - 1 ? "now" : `-${n - 1 - i}m`));
    return {
      type: "bar",
      data: {
        labels,
        datasets: [
          {
            label: "Completed",
            data: stats.throughput.completed,
            backgroundColor: colour(0),
            stack: "t",
          },
          {
            label: "Failed",
            data: stats.throughput.failed,
            backgroundColor: colour(3),
            stack: "t",
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { stacked: true, ticks: { maxTicksLimit: 12 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    };
  }, [stats]);

  const successConfig = useMemo(
    (): ChartConfiguration<"line"> => ({
      type: "line",
      data: {
        labels: stats.hours.map((h) => hourLabel(h.hour)),
        datasets: [
          {
            label: "Success rate",
            data: stats.hours.map((h) => {
              const ended = h.completed + h.failed;
              return ended > 0 ? Math.round((h.completed / ended) * 1000) / 10 : null;
            }),
            borderColor: colour(0),
            backgroundColor: "rgba(47, 111, 94, 0.15)",
            fill: true,
            spanGaps: true,
            pointRadius: 3,
            tension: 0.2,
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } },
        plugins: { legend: { display: false } },
      },
    }),
    [stats],
  );

  const errorTotals = useMemo(() => {
    const totals: Record<string, number> = {};
    for (const h of stats.hours) {
      for (const [code, n] of Object.entries(h.errors)) totals[code] = (totals[code] ?? 0) + n;
    }
    return Object.entries(totals).sort((a, b) => b[1] - a[1]);
  }, [stats]);
  const errorsConfig = useMemo(
    (): ChartConfiguration<"bar"> => ({
      type: "bar",
      data: {
        labels: errorTotals.map(([code]) => code),
        datasets: [
          { label: "Errors", data: errorTotals.map(([, n]) => n), backgroundColor: colour(3) },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    }),
    [errorTotals],
  );

  const confidence = useMemo(() => {
    const buckets = Array.from({ length: 10 }, () => 0);
    for (const h of stats.hours)
      h.confidence.forEach((n, i) => {
        buckets[i] = (buckets[i] ?? 0) + n;
      });
    return buckets;
  }, [stats]);
  const confidenceConfig = useMemo(
    (): ChartConfiguration<"bar"> => ({
      type: "bar",
      data: {
        labels: confidence.map((_, i) => `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}`),
        datasets: [{ label: "Prompts", data: confidence, backgroundColor: colour(2) }],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    }),
    [confidence],
  );

  const day = stats.hours.reduce(
    (s, h) => ({
      completed: s.completed + h.completed,
      failed: s.failed + h.failed,
      canceled: s.canceled + h.canceled,
      cacheHits: s.cacheHits + h.cacheHits,
    }),
    { completed: 0, failed: 0, canceled: 0, cacheHits: 0 },
  );

  return (
    <>
      <div className="cards">
        <div className="card">
          <span className="card-label">Completed (24 h)</span>
          <span className="card-value">{day.completed}</span>
          <span className="card-note">{day.cacheHits} from the cache</span>
        </div>
        <div className="card">
          <span className="card-label">Failed (24 h)</span>
          <span className="card-value">{day.failed}</span>
          <span className="card-note">{day.canceled} canceled</span>
        </div>
        <div className="card">
          <span className="card-label">Success rate (24 h)</span>
          <span className="card-value">
            {day.completed + day.failed > 0
              ? percent(day.completed / (day.completed + day.failed), 1)
              : "—"}
          </span>
          <span className="card-note">completed of completed + failed</span>
        </div>
        <div className="card">
          <span className="card-label">Waiting now</span>
          <span className="card-value">
            {Object.values(stats.queues).reduce((s, q) => s + backlogOf(q), 0)}
          </span>
          <span className="card-note">across {queues.length} queues</span>
        </div>
      </div>
      <div className="chart-grid">
        <div className="panel">
          <ChartView
            config={depthConfig}
            caption="Queue depth (waiting, active, delayed), sampled every 5 s"
            label="Line chart of each queue's depth over the last minutes; the table below has the current numbers."
          />
        </div>
        <div className="panel">
          <ChartView
            config={throughputConfig}
            caption="Throughput per minute (last hour)"
            label="Bar chart of generations completed and failed per minute over the last hour."
          />
        </div>
        <div className="panel">
          <ChartView
            config={successConfig}
            caption="Success rate per hour"
            label="Line chart of the share of generations that completed, per hour over 24 hours."
          />
        </div>
        <div className="panel">
          {errorTotals.length > 0 ? (
            <ChartView
              config={errorsConfig}
              caption="Error codes (24 h)"
              label={`Bar chart of errors by code: ${errorTotals.map(([c, n]) => `${c} ${n}`).join(", ")}.`}
            />
          ) : (
            <figure className="chart">
              <figcaption>Error codes (24 h)</figcaption>
              <p className="chart-empty">No errors in the last 24 hours.</p>
            </figure>
          )}
        </div>
        <div className="panel">
          <ChartView
            config={confidenceConfig}
            caption="Classification confidence (24 h)"
            label="Histogram of the classifier's confidence, in tenths."
          />
        </div>
        <div className="panel table-wrap chart-wide">
          <table className="table">
            <caption>Queues now</caption>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                {states.map((s) => (
                  <th key={s} scope="col" className="num">
                    {s}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {queues.map((q) => (
                <tr key={q}>
                  <th scope="row">{q}</th>
                  {states.map((s) => (
                    <td key={s} className="num">
                      {stats.queues[q]?.[s] ?? 0}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </>
  );
}

function TemplateStats({ nb }: { nb: Sdk }) {
  const [items, setItems] = useState<TemplateStat[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const controller = new AbortController();
    nb.admin.templateStats({ signal: controller.signal }).then(setItems, (e: unknown) => {
      if (!isAbort(e)) setError(e);
    });
    return () => controller.abort();
  }, [nb]);
  return (
    <section className="panel table-wrap" aria-labelledby="templates-heading">
      <h2 id="templates-heading">Templates: A/B results</h2>
      <ErrorNote error={error} action="Could not load the template statistics" />
      {items && items.length === 0 ? <p className="muted">No images yet.</p> : null}
      {items && items.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Template</th>
              <th scope="col">Variant</th>
              <th scope="col" className="num">
                Images
              </th>
              <th scope="col" className="num">
                Up
              </th>
              <th scope="col" className="num">
                Down
              </th>
              <th scope="col" className="num">
                Up rate
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <tr key={`${t.template}-${t.variant}`}>
                <th scope="row">{t.template}</th>
                <td>{t.variant}</td>
                <td className="num">{t.generations}</td>
                <td className="num">{t.up}</td>
                <td className="num">{t.down}</td>
                <td className="num">{percent(t.upRate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Keys({ nb }: { nb: Sdk }) {
  const id = useId();
  const [keys, setKeys] = useState<ApiKeyInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [userId, setUserId] = useState("");
  const [admin, setAdmin] = useState(false);
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<unknown>(null);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [copied, setCopied] = useState(false);
  const [revoking, setRevoking] = useState<string | null>(null);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setKeys(await nb.admin.keys.list(signal ? { signal } : {}));
        setError(null);
      } catch (e) {
        if (!isAbort(e)) setError(e);
      }
    },
    [nb],
  );
  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load]);

  const create = async () => {
    setCreating(true);
    setCreateError(null);
    setCopied(false);
    try {
      setCreated(await nb.admin.keys.create({ userId: userId.trim(), admin }));
      setUserId("");
      setAdmin(false);
      await load();
    } catch (e) {
      setCreateError(e);
    } finally {
      setCreating(false);
    }
  };

  const revoke = async (keyId: string) => {
    setRevoking(keyId);
    setError(null);
    try {
      await nb.admin.keys.revoke(keyId);
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setRevoking(null);
    }
  };

  return (
    <section className="panel" aria-labelledby="keys-heading">
      <h2 id="keys-heading">API keys</h2>
      <form
        className="key-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (userId.trim()) void create();
        }}
      >
        <InputField
          label="User id"
          value={userId}
          onChange={setUserId}
          required
          pattern="[A-Za-z0-9_.\-]{1,64}"
          autoComplete="off"
          placeholder="alice"
          title="1–64 letters, digits, _ . -"
        />
        <div className="field field-check">
          <input
            id={`${id}-admin`}
            type="checkbox"
            checked={admin}
            onChange={(e) => setAdmin(e.target.checked)}
          />
          <label htmlFor={`${id}-admin`}>Admin key</label>
        </div>
        <button
          type="submit"
          className="button button-primary"
          disabled={creating || !userId.trim()}
        >
          Create key
        </button>
      </form>
      <ErrorNote error={createError} action="The key was not created" />
      {created ? (
        <div className="note note-success" role="status">
          <strong>
            New {created.admin ? "admin " : ""}key for {created.userId}. Copy it now: it is shown
            only once.
          </strong>
          <code className="secret" data-testid="new-key">
            {created.key}
          </code>
          <div className="actions">
            <button
              type="button"
              className="button button-small"
              onClick={() => {
                void navigator.clipboard?.writeText(created.key).then(
                  () => setCopied(true),
                  () => setCopied(false),
                );
              }}
            >
              {copied ? "Copied" : "Copy key"}
            </button>
            <button
              type="button"
              className="button button-quiet button-small"
              onClick={() => setCreated(null)}
            >
              Done
            </button>
          </div>
        </div>
      ) : null}
      <ErrorNote error={error} action="API keys" />
      {keys ? (
        keys.length === 0 ? (
          <p className="muted">
            No keys made here yet (keys from the configuration are not listed).
          </p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">API keys made at run time</caption>
              <thead>
                <tr>
                  <th scope="col">Key id</th>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={k.keyId}>
                    <th scope="row">
                      <code>{k.keyId}</code>
                    </th>
                    <td>{k.userId}</td>
                    <td>{k.admin ? "admin" : "user"}</td>
                    <td>{dateTime(k.createdAt)}</td>
                    <td>{k.revokedAt ? `revoked ${dateTime(k.revokedAt)}` : "active"}</td>
                    <td>
                      {k.revokedAt ? null : (
                        <button
                          type="button"
                          className="button button-quiet button-small"
                          aria-label={`Revoke key ${k.keyId} of ${k.userId}`}
                          disabled={revoking === k.keyId}
                          onClick={() => {
                            if (
                              window.confirm(
                                `Revoke ${k.userId}'s key ${k.keyId}? It stops working at once.`,
                              )
                            ) {
                              void revoke(k.keyId);
                            }
                          }}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
    </section>
  );
}
