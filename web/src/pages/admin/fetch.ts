// The administrator's pages fetch with call() (their paths come from the
// document at run time). useFetch aborts the request of the previous
// arguments when they change, so a stale search answer never shows, and a
// 401 sends the browser to sign in as useLoad does.
import { useEffect, useState } from "preact/hooks";
import { call, type Problem } from "../../api/client";
import { navigate, path, search } from "../../router";
import { session } from "../../session";
import type { Value } from "./shape";

/** Fetched is the state of one GET. */
export type Fetched<T> = { data?: T; problem?: Problem; etag?: string; loading: boolean };

/** signedOut handles a 401: the session ended, so sign in again and come back. */
export function signedOut(response?: Response): boolean {
  if (response?.status !== 401) return false;
  session.value = null;
  navigate("/login?next=" + encodeURIComponent(path.value + search.value), true);
  return true;
}

/** useFetch GETs url (nothing while it is empty) and again when url or reload changes. */
export function useFetch<T = Value>(url: string, reload = 0): Fetched<T> {
  const [state, setState] = useState<Fetched<T>>({ loading: true });
  useEffect(() => {
    if (!url) return;
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    call<T>("GET", url, undefined, { signal: ctl.signal }).then(
      ({ data, error, response }) => {
        if (signedOut(response)) return;
        const etag = response?.headers.get("ETag") ?? undefined;
        setState(error || data === undefined ? { loading: false, problem: error } : { loading: false, data, etag });
      },
      () => {}, // aborted: newer arguments own the state
    );
    return () => ctl.abort();
  }, [url, reload]);
  return state;
}

/** query builds a query string from the set values. */
export function query(values: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? "?" + s : "";
}

/** etagOf is the If-Match of an object: its ETag, else its version quoted as the API writes ETags. */
export function etagOf(etag: string | undefined, obj: Value): string | undefined {
  return etag ?? (obj?.version !== undefined ? `"${obj.version}"` : undefined);
}
