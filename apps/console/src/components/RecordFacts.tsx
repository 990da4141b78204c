import type { GenerationRecord } from "@nanobanana/client";
import { bytes, dateTime, ms, percent, stageLabel, usd } from "../format.ts";

/** What a generation record says, as a definition list and a table of timings. */
export function RecordFacts({ record }: { record: GenerationRecord }) {
  const timings = Object.entries(record.timings ?? {}).filter(([, v]) => typeof v === "number");
  return (
    <div className="facts">
      <dl>
        <dt>Status</dt>
        <dd>
          <span className={`status status-${record.status}`}>{record.status}</span>
          {record.cached ? <span className="badge">from cache</span> : null}
        </dd>
        <dt>Model</dt>
        <dd>
          {record.model ?? "—"}
          {record.modelReason ? <span className="muted small"> · {record.modelReason}</span> : null}
        </dd>
        <dt>Cost</dt>
        <dd>
          {usd(record.cost?.usd)}
          {record.cost?.savedUsd ? (
            <span className="muted small"> · saved {usd(record.cost.savedUsd)}</span>
          ) : null}
        </dd>
        <dt>Quality</dt>
        <dd>
          {record.quality} · {record.aspectRatio} · {record.imageSize} · {record.format}
        </dd>
        {record.image ? (
          <>
            <dt>Image</dt>
            <dd>
              {record.image.width}×{record.image.height} · {bytes(record.image.bytes)}
            </dd>
          </>
        ) : null}
        {record.classification ? (
          <>
            <dt>Classification</dt>
            <dd>
              {record.classification.domain} / {record.classification.subcategory} ·{" "}
              {percent(record.classification.confidence)}
            </dd>
          </>
        ) : null}
        {record.template ? (
          <>
            <dt>Template</dt>
            <dd>
              {record.template.id} v{record.template.version} (variant {record.template.variant})
            </dd>
          </>
        ) : null}
        <dt>Created</dt>
        <dd>{dateTime(record.createdAt)}</dd>
        {record.error ? (
          <>
            <dt>Error</dt>
            <dd className="error-text">
              <code>{record.error.code}</code> {record.error.message}
            </dd>
          </>
        ) : null}
      </dl>
      {timings.length > 0 ? (
        <table className="table timings">
          <caption>Timings</caption>
          <thead>
            <tr>
              <th scope="col">Stage</th>
              <th scope="col" className="num">
                Time
              </th>
            </tr>
          </thead>
          <tbody>
            {timings.map(([name, value]) => (
              <tr key={name}>
                <th scope="row">{stageLabel(name.replace(/Ms$/, ""))}</th>
                <td className="num">{ms(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
