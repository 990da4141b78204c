import { type Me, NanoBanana } from "@nanobanana/client";
import { createContext, useContext } from "react";

/** The key lives in sessionStorage only: it goes when the tab does. */
const STORAGE_KEY = "nanobanana.console.apiKey";

export interface Session {
  nb: NanoBanana;
  me: Me;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}

export function clientFor(apiKey: string): NanoBanana {
  return new NanoBanana({ apiKey, baseUrl: window.location.origin });
}

export const storedKey = (): string | null => {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
};

/** Signing out forgets everything this tab kept for the console (key, last batch). */
export function forgetSession(): void {
  try {
    for (const name of Object.keys(window.sessionStorage)) {
      if (name.startsWith("nanobanana.console.")) window.sessionStorage.removeItem(name);
    }
  } catch {
    // Storage refused: nothing was kept.
  }
}

export const storeKey = (key: string | null): void => {
  try {
    if (key === null) window.sessionStorage.removeItem(STORAGE_KEY);
    else window.sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage refused (a private mode): the session lasts as long as the page.
  }
};
