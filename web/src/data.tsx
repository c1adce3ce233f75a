// One way to load and show data: useLoad runs a typed API call and keeps its
// state; Loaded shows the loading state, the problem, or the result.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { problemOf, type Problem } from "./api/client";
import { navigate, path, search } from "./router";
import { session } from "./session";

type Result<T> = { data?: T; error?: unknown; response?: Response };
export type Load<T> = { data?: T; problem?: Problem; loading: boolean };

/** useLoad calls fetcher when deps change; a 401 means the session ended, so it goes to /login. */
export function useLoad<T>(fetcher: () => Promise<Result<T>>, deps: unknown[]): Load<T> {
  const [state, setState] = useState<Load<T>>({ loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fetcher().then(({ data, error, response }) => {
      if (!live) return;
      if (response?.status === 401) {
        session.value = null;
        navigate("/login?next=" + encodeURIComponent(path.value + search.value), true);
        return;
      }
      setState(error !== undefined || data === undefined ? { loading: false, problem: problemOf(error, response) } : { loading: false, data });
    });
    return () => {
      live = false;
    };
  }, deps);
  return state;
}

/** Loaded renders children once the data is there, or says why not. */
export function Loaded<T>({ load, children }: { load: Load<T>; children: (data: T) => ComponentChildren }) {
  if (load.problem) {
    return (
      <div class="alert" role="alert">
        {load.problem.title ?? "The request failed"}
        {load.problem.detail ? `: ${load.problem.detail}` : ""}
      </div>
    );
  }
  if (load.data === undefined) return <p aria-live="polite">Loading…</p>;
  return <>{children(load.data)}</>;
}

/** when formats an API time stamp for people, or "—". */
export function when(t: string | null | undefined): string {
  if (!t) return "—";
  const d = new Date(t);
  return isNaN(d.getTime()) || d.getFullYear() < 1971 ? "—" : d.toLocaleString();
}
