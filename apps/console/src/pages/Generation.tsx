import type { GenerationRecord } from "@nanobanana/client";
import { useEffect, useState } from "react";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { RecordFacts } from "../components/RecordFacts.tsx";
import { isAbort } from "../errors.ts";
import { useSession } from "../session.tsx";
import { Result } from "./Create.tsx";
import { galleryHref } from "./Gallery.tsx";

/** One generation, in full: `#/gallery/<id>`. */
export function GenerationPage({ id }: { id: string }) {
  const { nb } = useSession();
  const [record, setRecord] = useState<GenerationRecord | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const controller = new AbortController();
    setRecord(null);
    setError(null);
    nb.generations.get(id, { signal: controller.signal }).then(
      (r) => {
        setRecord(r);
        // Not finished yet: follow it until it is.
        if (r.status === "queued" || r.status === "processing") {
          nb.generations
            .wait(id, { signal: controller.signal, onUpdate: (u) => setRecord(u.record) })
            .then(setRecord, (e: unknown) => {
              const ended = (e as { record?: GenerationRecord }).record;
              if (ended) setRecord(ended);
              else if (!isAbort(e)) setError(e);
            });
        }
      },
      (e: unknown) => {
        if (!isAbort(e)) setError(e);
      },
    );
    return () => controller.abort();
  }, [nb, id]);

  return (
    <section className="page page-generation">
      <p className="back">
        <a href={galleryHref()}>← Gallery</a>
      </p>
      <header className="page-header">
        <h1>{record ? record.prompt : "Generation"}</h1>
        <p className="muted small">
          <code>{id}</code>
          {record?.batchId ? (
            <>
              {" "}
              · batch <code>{record.batchId}</code>
            </>
          ) : null}
        </p>
      </header>
      <ErrorNote error={error} action="Could not load this generation" />
      {!record && !error ? (
        <div className="page-loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading…
        </div>
      ) : null}
      {record ? (
        <div className="panel">
          {record.status === "completed" ? (
            <Result nb={nb} record={record} />
          ) : (
            <RecordFacts record={record} />
          )}
          <section className="texts">
            <h2>Prompt</h2>
            <p className="prose">{record.prompt}</p>
            <h2>Brief</h2>
            <p className="brief">{record.enhancedPrompt ?? "Not written yet."}</p>
            {record.references.length > 0 ? (
              <>
                <h2>Reference images</h2>
                <ul className="plain">
                  {record.references.map((r) => (
                    <li key={`${r.source}-${r.sha256}`}>
                      <code>{r.source}</code> {r.mimeType ?? ""}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {record.feedback ? (
              <>
                <h2>Feedback</h2>
                <p>
                  {record.feedback.rating === "up" ? "Thumbs up" : "Thumbs down"}
                  {record.feedback.comment ? `: ${record.feedback.comment}` : ""}
                </p>
              </>
            ) : null}
            {record.note ? (
              <>
                <h2>Model's note</h2>
                <p className="prose">{record.note}</p>
              </>
            ) : null}
          </section>
        </div>
      ) : null}
    </section>
  );
}
