// The live status stream: one EventSource on GET /api/v1/events for the
// whole console, reconnecting by itself. Where the appliance has no such
// stream (404) or it keeps failing, pages fall back to polling, and
// liveMode says which is in use so that pages can say so.
import { signal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";

/** LiveEvent is the data of one event of the stream (api.Event). */
export type LiveEvent = { name: string; kind?: string; id?: number; status?: string; last_seen_at?: string; reason?: string };

/** liveMode: "live" while the stream is open, "connecting" before, "polling" when pages poll instead. */
export const liveMode = signal<"connecting" | "live" | "polling">("connecting");

const names = ["jump_client.status", "session.started", "session.ended", "stream.resync", "stream.closed"];
const listeners = new Set<(e: LiveEvent) => void>();
let source: EventSource | undefined;
let failures = 0;
let retry: ReturnType<typeof setTimeout> | undefined;

function connect() {
  if (source || typeof EventSource === "undefined") {
    if (typeof EventSource === "undefined") liveMode.value = "polling";
    return;
  }
  const es = new EventSource("/api/v1/events", { withCredentials: true });
  source = es;
  es.onopen = () => {
    failures = 0;
    liveMode.value = "live";
  };
  for (const name of names) {
    es.addEventListener(name, (m) => {
      let data: LiveEvent = { name };
      try {
        data = { ...JSON.parse((m as MessageEvent<string>).data), name };
      } catch {
        /* an event without data still tells its name */
      }
      for (const l of listeners) l(data);
    });
  }
  es.onerror = () => {
    // EventSource retries by itself after a network error; a 404 or
    // another HTTP error closes it for good.
    failures++;
    if (es.readyState === EventSource.CONNECTING && failures <= 3) liveMode.value = "connecting";
    if (es.readyState === EventSource.CLOSED || failures > 3) {
      es.close();
      source = undefined;
      liveMode.value = "polling";
      retry ??= setTimeout(() => {
        retry = undefined;
        if (listeners.size > 0) connect();
      }, 30_000);
    }
  };
}

/**
 * useLive calls onEvent for each event of the stream while the component
 * is mounted; while the stream is unavailable it calls onPoll every
 * pollMs instead (and once when the stream resyncs).
 */
export function useLive(onEvent: (e: LiveEvent) => void, onPoll: () => void, pollMs = 10_000): void {
  const latest = useRef({ onEvent, onPoll });
  latest.current = { onEvent, onPoll };
  useEffect(() => {
    const l = (e: LiveEvent) =>
      e.name === "stream.resync" || e.name === "stream.closed" ? latest.current.onPoll() : latest.current.onEvent(e);
    listeners.add(l);
    connect();
    const timer = setInterval(() => {
      if (liveMode.value !== "live") latest.current.onPoll();
    }, pollMs);
    return () => {
      listeners.delete(l);
      clearInterval(timer);
    };
  }, []);
}

/** LiveNote says on screen how the page stays current. */
export function liveText(): string {
  switch (liveMode.value) {
    case "live":
      return "Status updates live.";
    case "connecting":
      return "Connecting to live status (again)…";
    default:
      return "Live status is unavailable here; the page refreshes every 10 seconds.";
  }
}
