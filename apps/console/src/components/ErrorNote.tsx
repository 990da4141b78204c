import { explain } from "../errors.ts";

/** An API error in plain words, announced to screen readers. */
export function ErrorNote({ error, action }: { error: unknown; action?: string }) {
  if (error === null || error === undefined) return null;
  const { title, detail, code } = explain(error);
  return (
    <div className="note note-error" role="alert">
      <strong>{action ? `${action}: ${title}` : title}</strong>
      <span className="note-detail">
        {detail}
        {code ? <code className="note-code">{code}</code> : null}
      </span>
    </div>
  );
}
