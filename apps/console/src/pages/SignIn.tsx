import { useId, useState } from "react";
import { ErrorNote } from "../components/ErrorNote.tsx";

export function SignInPage({
  error,
  onSignIn,
}: {
  error: unknown;
  onSignIn: (key: string) => Promise<void>;
}) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const id = useId();
  return (
    <main className="signin">
      <div className="signin-card">
        <div className="signin-brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">NanoBanana</span>
        </div>
        <h1>Sign in</h1>
        <p className="muted">
          Use an API key. <code>npm start</code> prints one, with a link that signs you in. The key
          stays in this tab only.
        </p>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!key.trim() || busy) return;
            setBusy(true);
            void onSignIn(key.trim()).finally(() => setBusy(false));
          }}
        >
          <div className="field">
            <label htmlFor={`${id}-key`}>API key</label>
            <input
              id={`${id}-key`}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={key}
              onChange={(e) => setKey(e.target.value)}
              placeholder="nb_…"
              required
            />
          </div>
          <ErrorNote error={error} action="Sign in failed" />
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </div>
    </main>
  );
}
