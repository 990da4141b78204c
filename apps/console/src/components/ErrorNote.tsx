import { explain } from "../errors.ts";

const sentence = (s: string) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);

/**
 * An API error in plain words, announced to screen readers: what failed (`action`), the API's
 * own message and code, and what to do about it when the code says.
 */
export function ErrorNote({ error, action }: { error: unknown; action?: string }) {
  if (error === null || error === undefined) return null;
  const { title, hint, detail, code } = explain(error);
  return (
    <div className="note note-error" role="alert">
      <strong>{action ?? title}</strong>
      <span className="note-detail">
        {sentence(detail)}
        {code ? <code className="note-code">{code}</code> : null}
      </span>
      {action && hint ? <span className="note-hint">{hint}</span> : null}
    </div>
  );
}
