import type { Me, NanoBanana as Sdk } from "@nanobanana/client";
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { forgetImages } from "./images.tsx";
import { BatchesPage } from "./pages/Batches.tsx";
import { CreatePage } from "./pages/Create.tsx";
import { GalleryPage } from "./pages/Gallery.tsx";
import { GenerationPage } from "./pages/Generation.tsx";
import { SignInPage } from "./pages/SignIn.tsx";
import { navigate, parseHash, replaceHash, useRoute } from "./router.tsx";
import {
  clientFor,
  forgetSession,
  type Session,
  SessionContext,
  storedKey,
  storeKey,
} from "./session.tsx";

// The chart pages load on demand: Chart.js stays out of the first page's JavaScript.
const CostPage = lazy(() => import("./pages/Cost.tsx"));
const OpsPage = lazy(() => import("./pages/Ops.tsx"));

/**
 * A key in the address (`#/sign-in?key=…`, the link `npm start` prints) is taken and removed
 * from the address bar at once: at load, before anything else runs, and whenever such a link
 * is opened in a tab that already shows the console.
 */
function takeKeyFromAddress(): string | null {
  const route = parseHash(window.location.hash);
  const key = route.parts[0] === "sign-in" ? route.query.get("key") : null;
  if (key === null) return null;
  route.query.delete("key");
  const rest = route.query.toString();
  replaceHash(`#/sign-in${rest ? `?${rest}` : ""}`);
  return key.trim() || null;
}
const keyAtLoad = takeKeyFromAddress();

type Auth =
  | { state: "checking" }
  | { state: "signed-out"; error: unknown }
  | { state: "signed-in"; nb: Sdk; me: Me };

const NAV: Array<{ id: string; label: string; admin?: boolean }> = [
  { id: "create", label: "Create" },
  { id: "batches", label: "Batches" },
  { id: "gallery", label: "Gallery" },
  { id: "cost", label: "Cost" },
  { id: "ops", label: "Operations", admin: true },
];

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>({ state: "checking" });
  const started = useRef(false);

  const signIn = useCallback(async (key: string): Promise<boolean> => {
    const nb = clientFor(key);
    try {
      const me = await nb.me();
      storeKey(key);
      setAuth({ state: "signed-in", nb, me });
      return true;
    } catch (error) {
      storeKey(null);
      setAuth({ state: "signed-out", error });
      return false;
    }
  }, []);

  const signOut = useCallback(() => {
    forgetSession();
    forgetImages();
    setAuth({ state: "signed-out", error: null });
    navigate("/sign-in");
  }, []);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const key = keyAtLoad ?? storedKey();
    if (!key) {
      setAuth({ state: "signed-out", error: null });
      return;
    }
    void signIn(key).then((ok) => {
      if (ok && keyAtLoad) navigate("/create");
    });
  }, [signIn]);

  // A sign-in link opened in this tab later: it replaces whoever is signed in.
  useEffect(() => {
    const onHash = () => {
      const key = takeKeyFromAddress();
      if (!key) return;
      forgetSession();
      forgetImages();
      setAuth({ state: "checking" });
      void signIn(key).then((ok) => {
        if (ok) navigate("/create");
      });
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [signIn]);

  const page = route.parts[0] ?? "";
  // Signed in at the sign-in page (or no page at all): go to Create.
  useEffect(() => {
    if (auth.state === "signed-in" && (page === "" || page === "sign-in")) {
      window.location.replace("#/create");
    }
  }, [auth.state, page]);

  const session = useMemo<Session | null>(
    () => (auth.state === "signed-in" ? { nb: auth.nb, me: auth.me, signOut } : null),
    [auth, signOut],
  );

  useEffect(() => {
    const label =
      auth.state !== "signed-in" ? "Sign in" : (NAV.find((n) => n.id === page)?.label ?? "");
    document.title = label ? `${label} · NanoBanana` : "NanoBanana";
  }, [auth.state, page]);

  if (auth.state === "checking") {
    return (
      <div className="boot" role="status">
        <span className="spinner" aria-hidden="true" /> Signing in…
      </div>
    );
  }
  if (auth.state === "signed-out" || !session) {
    return (
      <SignInPage
        error={auth.state === "signed-out" ? auth.error : null}
        onSignIn={async (key) => {
          if (await signIn(key)) navigate("/create");
        }}
      />
    );
  }

  let content: React.ReactNode;
  switch (page) {
    case "create":
      content = <CreatePage />;
      break;
    case "batches":
      content = <BatchesPage />;
      break;
    case "gallery":
      content = route.parts[1] ? (
        <GenerationPage id={route.parts[1]} />
      ) : (
        <GalleryPage route={route} />
      );
      break;
    case "cost":
      content = <CostPage />;
      break;
    case "ops":
      content = session.me.admin ? (
        <OpsPage />
      ) : (
        <section className="page">
          <h1>Operations</h1>
          <div className="note note-warn" role="alert">
            <strong>Operations needs an admin key</strong>
            <span className="note-detail">
              You are signed in as {session.me.userId}, whose key is not an admin key.
            </span>
          </div>
        </section>
      );
      break;
    case "":
    case "sign-in":
      content = null;
      break;
    default:
      content = (
        <section className="page">
          <h1>Not found</h1>
          <p>
            There is no page “{page}”. <a href="#/create">Go to Create</a>.
          </p>
        </section>
      );
  }

  return (
    <SessionContext.Provider value={session}>
      <Shell page={page} me={session.me} onSignOut={signOut}>
        <Suspense
          fallback={
            <div className="page-loading" role="status">
              <span className="spinner" aria-hidden="true" /> Loading…
            </div>
          }
        >
          {content}
        </Suspense>
      </Shell>
    </SessionContext.Provider>
  );
}

function Shell({
  page,
  me,
  onSignOut,
  children,
}: {
  page: string;
  me: Me;
  onSignOut: () => void;
  children: React.ReactNode;
}) {
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  // A page change closes the phone menu.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every page change
  useEffect(() => setMenuOpen(false), [page]);

  return (
    <div className="shell">
      <button type="button" className="skip-link" onClick={() => mainRef.current?.focus()}>
        Skip to content
      </button>
      <header className="topbar">
        <a className="brand" href="#/create" aria-label="NanoBanana console, Create">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">NanoBanana</span>
        </a>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" className={menuOpen ? "nav open" : "nav"}>
          <ul>
            {NAV.filter((item) => !item.admin || me.admin).map((item) => (
              <li key={item.id}>
                <a href={`#/${item.id}`} aria-current={item.id === page ? "page" : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
          <div className="account">
            <span className="account-user" title={me.keyId ? `key ${me.keyId}` : undefined}>
              {me.userId}
              {me.admin ? <span className="badge">admin</span> : null}
            </span>
            <button type="button" className="button button-quiet" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </nav>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
