// A session's history (/recordings/{id}): what the session was (item,
// representative, mode, policies, start and end, participants), its audit
// events (GET /api/v1/audit-events?object_type=session&object_id=…, which
// administrators read), and its recordings: a shell recording (asciicast v2)
// plays in the page with asciinema-player, loaded on first use; a tunnel log
// (JSON lines) is a table. Each recording has its download link, the same
// endpoint `jumpgate recordings get` reads.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, call, problemOf, type Problem } from "../../api/client";
import type { components } from "../../api/schema";
import { Loaded, useLoad, when } from "../../data";
import { Link } from "../../router";
import { itemTypeName } from "./names";

type Session = components["schemas"]["Session"];
type Recording = components["schemas"]["Recording"];

/** recordingURL is the download endpoint of one recording. */
function recordingURL(r: Recording): string {
  return `/api/v1/sessions/${r.session_id}/recordings/${r.id}`;
}

function size(n: number | undefined): string {
  if (n === undefined) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

export function RecordingPage({ id }: { id: number }) {
  const s = useLoad(() => api.GET("/api/v1/sessions/{id}", { params: { path: { id } } }), [id]);
  return (
    <main id="main" class="session">
      <p><Link href="/recordings">Back to the session history</Link></p>
      <Loaded load={s}>
        {(s) => (
          <>
            <h1 tabIndex={-1}>Session {s.id}: {s.item_name}</h1>
            <Facts s={s} />
            <Recordings s={s} />
            <Events id={id} />
          </>
        )}
      </Loaded>
    </main>
  );
}

function Facts({ s }: { s: Session }) {
  const rows: [string, preact.ComponentChildren][] = [
    ["Item", <>{s.item_name} ({itemTypeName(s.item_type)} {s.item_id})</>],
    ["Representative", s.username],
    ["Mode", s.mode],
    ["Status", <>{s.status}{s.refused_reason ? ` (${s.refused_reason.replaceAll("_", " ")})` : ""}</>],
    ["Requested", when(s.requested_at)],
    ["Started", when(s.started_at)],
    ["Ended", <>{when(s.ended_at)}{s.end_reason ? ` (${s.end_reason.replaceAll("_", " ")})` : ""}{s.ended_by ? ` by ${s.ended_by}` : ""}</>],
  ];
  if (s.detail) rows.push(["Detail", s.detail]);
  if (s.ticket_id) rows.push(["Ticket", s.ticket_id]);
  if (s.reason) rows.push(["Reason", s.reason]);
  if (s.customer_name) rows.push(["Customer", s.customer_name]);
  rows.push(["Recorded", s.recording ? "yes" : "no"]);
  if (s.participants?.length) {
    rows.push(["Participants", s.participants.map((p) => `${p.username} (${when(p.joined_at)} – ${when(p.left_at)})`).join("; ")]);
  }
  if (s.rating != null) rows.push(["Rating", `${s.rating}${s.feedback ? `: ${s.feedback}` : ""}`]);
  return (
    <>
      <dl class="facts">
        {rows.map(([k, v]) => (
          <div key={k}><dt>{k}</dt><dd>{v}</dd></div>
        ))}
      </dl>
      {s.status === "active" || s.status === "prompting" ? (
        <p><Link href={`/sessions/${s.id}`}>Open the live session</Link></p>
      ) : null}
    </>
  );
}

function Recordings({ s }: { s: Session }) {
  const recs = s.recordings ?? [];
  return (
    <section aria-labelledby="recordings-heading">
      <h2 id="recordings-heading">Recordings</h2>
      {recs.length === 0 ? (
        <p>{s.recording ? "Nothing was recorded in this session yet." : "This session was not recorded."}</p>
      ) : (
        recs.map((r) => (
          <article key={r.id} class="recording" aria-labelledby={`rec-${r.id}`}>
            <h3 id={`rec-${r.id}`}>{r.kind === "shell" ? "Shell" : r.kind === "tunnel_log" ? "Tunnel log" : r.kind} {r.id}: {r.file_name}</h3>
            <p class="hint">
              {when(r.started_at)} – {when(r.ended_at)}, {size(r.size)}
              {r.sha256 ? <>, SHA-256 <code class="sha">{r.sha256}</code></> : null}
            </p>
            <p><a href={recordingURL(r)} download={r.file_name}>Download {r.file_name}</a></p>
            {r.kind === "shell" ? <Cast r={r} /> : r.kind === "tunnel_log" ? <TunnelLog r={r} /> : null}
          </article>
        ))
      )}
    </section>
  );
}

/** useText downloads a recording as text. */
function useText(r: Recording): { text?: string; problem?: Problem } {
  const [state, setState] = useState<{ text?: string; problem?: Problem }>({});
  useEffect(() => {
    let live = true;
    fetch(recordingURL(r), { credentials: "same-origin" })
      .then(async (res) => {
        if (!live) return;
        if (!res.ok) {
          let body: unknown;
          try {
            body = await res.json();
          } catch {
            body = undefined;
          }
          setState({ problem: problemOf(body, res) });
          return;
        }
        const text = await res.text();
        if (live) setState({ text });
      })
      .catch(() => live && setState({ problem: problemOf(undefined) }));
    return () => {
      live = false;
    };
  }, [r.id]);
  return state;
}

let playerChunk: Promise<typeof import("./player")> | undefined;

/** Cast plays a shell recording with asciinema-player (a chunk of its own). */
function Cast({ r }: { r: Recording }) {
  const { text, problem } = useText(r);
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState("");
  useEffect(() => {
    if (text === undefined || !box.current) return;
    let player: { dispose: () => void } | undefined;
    let live = true;
    playerChunk ??= import("./player");
    playerChunk
      .then((m) => {
        if (live && box.current) player = m.mount(box.current, text);
      })
      .catch(() => {
        playerChunk = undefined;
        setFailed("The player did not load; download the recording instead.");
      });
    return () => {
      live = false;
      player?.dispose();
    };
  }, [text]);
  if (problem) return <div class="alert" role="alert">{problem.title}{problem.detail ? `: ${problem.detail}` : ""}</div>;
  if (failed) return <div class="alert" role="alert">{failed}</div>;
  return (
    <>
      {text === undefined && <p aria-live="polite">Loading the recording…</p>}
      <div class="player" ref={box} role="region" aria-label={`Player of ${r.file_name}`} />
    </>
  );
}

type TunnelLine = {
  opened_at?: string;
  closed_at?: string;
  peer?: string;
  client_peer?: string;
  target?: string;
  bytes_in?: number;
  bytes_out?: number;
  duration_ms?: number;
};

/** TunnelLog shows a tunnel log's connections as a table. */
function TunnelLog({ r }: { r: Recording }) {
  const { text, problem } = useText(r);
  if (problem) return <div class="alert" role="alert">{problem.title}{problem.detail ? `: ${problem.detail}` : ""}</div>;
  if (text === undefined) return <p aria-live="polite">Loading the tunnel log…</p>;
  const lines: TunnelLine[] = [];
  for (const l of text.split("\n")) {
    if (!l.trim()) continue;
    try {
      lines.push(JSON.parse(l) as TunnelLine);
    } catch {
      // A line cut short by a crash is left out; the download has it.
    }
  }
  if (lines.length === 0) return <p>No tunnel connection closed in this session.</p>;
  return (
    <table>
      <caption class="visually-hidden">Tunnel connections of {r.file_name}</caption>
      <thead>
        <tr><th scope="col">Opened</th><th scope="col">Closed</th><th scope="col">Representative's address</th><th scope="col">Local application</th><th scope="col">Target</th><th scope="col">Bytes in</th><th scope="col">Bytes out</th><th scope="col">Duration</th></tr>
      </thead>
      <tbody>
        {lines.map((l, i) => (
          <tr key={i}>
            <td>{when(l.opened_at)}</td><td>{when(l.closed_at)}</td><td>{l.peer}</td><td>{l.client_peer}</td><td>{l.target}</td>
            <td>{l.bytes_in}</td><td>{l.bytes_out}</td><td>{l.duration_ms !== undefined ? `${(l.duration_ms / 1000).toFixed(1)} s` : ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type AuditEventList = components["schemas"]["AuditEventList"];

/** Events lists the session's audit events (administrators only). */
function Events({ id }: { id: number }) {
  const events = useLoad(
    () => call<AuditEventList>("GET", `/api/v1/audit-events?object_type=session&object_id=${id}&limit=200`),
    [id],
  );
  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Events</h2>
      {events.problem?.status === 403 ? (
        <p>The session's events are in the audit log, which administrators read.</p>
      ) : (
        <Loaded load={events}>
          {(page) =>
            (page.items ?? []).length === 0 ? (
              <p>No events.</p>
            ) : (
              <table>
                <caption class="visually-hidden">Events of session {id}</caption>
                <thead>
                  <tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">By</th><th scope="col">Details</th></tr>
                </thead>
                <tbody>
                  {(page.items ?? []).map((e) => (
                    <tr key={e.id}>
                      <td>{when(e.time)}</td>
                      <td>{e.action}</td>
                      <td>{e.actor}</td>
                      <td class="details">
                        {e.details && Object.keys(e.details).length > 0 && <code>{JSON.stringify(e.details)}</code>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
      )}
    </section>
  );
}
