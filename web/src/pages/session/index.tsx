// A session's page (/sessions/{id}): its state, read again every few
// seconds (and at once on a live session event): waiting for the end
// user's consent with the prompt's countdown, active with the time left,
// its warnings and End, or over with why. An active session on a Jump
// Client has tabs for a terminal (xterm.js, loaded on first use), files
// and system information, each reaching the endpoint through the
// appliance's browser stream endpoints.
import { useEffect, useState } from "preact/hooks";
import { api, problemOf, type Problem } from "../../api/client";
import type { components } from "../../api/schema";
import { when } from "../../data";
import { useLive } from "../../live";
import { Link } from "../../router";
import { session } from "../../session";
import { FilesTab } from "./files";
import { SysInfoTab } from "./sysinfo";
import { TerminalTab } from "./terminal-tab";

type Session = components["schemas"]["Session"];

/** clock formats a number of seconds as h:mm:ss or m:ss. */
export function clock(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

const tabs = [
  { id: "terminal", label: "Terminal", perm: "shell" },
  { id: "files", label: "Files", perm: "file_read" },
  { id: "sysinfo", label: "System info", perm: "system_info" },
] as const;

export function SessionPage({ id }: { id: number }) {
  const [s, setS] = useState<Session | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [ending, setEnding] = useState(false);
  const [tab, setTab] = useState<(typeof tabs)[number]["id"]>("terminal");
  const now = useNow();

  const load = async () => {
    const { data, error, response } = await api.GET("/api/v1/sessions/{id}", { params: { path: { id } } });
    if (response?.status === 401) {
      session.value = null; // signed out (or revoked): the shell goes to /login
      return;
    }
    if (data) {
      setS(data);
      setProblem(undefined);
    } else setProblem(problemOf(error, response));
  };
  useEffect(() => {
    void load();
  }, [id]);
  // Poll while the session can still change: fast while prompting.
  const open = s?.status === "prompting" || s?.status === "active";
  useEffect(() => {
    if (!open) return;
    const t = setInterval(() => void load(), s?.status === "prompting" ? 1000 : 5000);
    return () => clearInterval(t);
  }, [open, s?.status]);
  useLive(
    (e) => {
      if (e.kind === "session" && e.id === id) void load();
    },
    () => {},
  );

  const end = async () => {
    setEnding(true);
    const { data, error, response } = await api.POST("/api/v1/sessions/{id}/end", { params: { path: { id } }, body: {} });
    setEnding(false);
    if (data) setS(data);
    else setProblem(problemOf(error, response));
  };

  if (!s) {
    return (
      <main id="main">
        <h1 tabIndex={-1}>Session {id}</h1>
        {problem ? (
          <div class="alert" role="alert">
            {problem.title}
            {problem.detail ? `: ${problem.detail}` : ""}
          </div>
        ) : (
          <p aria-live="polite">Loading…</p>
        )}
      </main>
    );
  }
  const left = s.ends_at ? (Date.parse(s.ends_at) - now) / 1000 : undefined;
  const promptLeft = s.prompt_expires_at ? (Date.parse(s.prompt_expires_at) - now) / 1000 : undefined;
  const perms = s.permissions as unknown as Record<string, boolean | undefined>;
  const available = s.item_type === "protocol_tunnel_jump" ? [] : tabs.filter((t) => perms[t.perm]);
  const current = available.find((t) => t.id === tab) ?? available[0];
  const itemHref = s.item_type === "jump_client" ? `/items/client/${s.item_id}` : s.item_type === "protocol_tunnel_jump" ? `/items/tunnel/${s.item_id}` : undefined;

  return (
    <main id="main" class="session">
      <h1 tabIndex={-1}>
        Session {s.id} on {s.item_name}
      </h1>
      <div class="session-bar">
        <p role="status" class={`state state-${s.status}`}>
          {s.status === "prompting" && (
            <>
              Waiting for the end user to accept
              {promptLeft !== undefined && (
                <>
                  {" "}
                  — the request times out in <strong>{clock(promptLeft)}</strong>
                </>
              )}
              .
            </>
          )}
          {s.status === "active" && (
            <>
              Active{s.mode ? ` (${s.mode})` : ""}
              {left !== undefined && (
                <>
                  {" "}
                  — <strong>{clock(left)}</strong> left
                </>
              )}
              {s.control_revoked && " — the end user has revoked control: input is blocked"}
              {s.recording && " — shells are recorded"}
            </>
          )}
          {s.status === "ended" && <>Ended {when(s.ended_at)}{s.end_reason ? ` (${s.end_reason.replaceAll("_", " ")})` : ""}{s.ended_by ? ` by ${s.ended_by}` : ""}.</>}
          {s.status === "refused" && <>Refused{s.refused_reason ? ` (${s.refused_reason.replaceAll("_", " ")})` : ""}.</>}
        </p>
        {open && (
          <button type="button" disabled={ending} onClick={end}>
            {s.status === "prompting" ? "Cancel the request" : "End session"}
          </button>
        )}
      </div>
      {s.status === "prompting" && (
        <p class="hint">
          The end user answers on the endpoint, in a dialog or with <code>jumpgate-agent consent accept {s.id}</code>. Without an answer, the
          session policy decides when the time is up.
        </p>
      )}
      {s.status === "active" && left !== undefined && left <= 300 && (
        <div class="warning" role="alert">
          The session ends in {Math.ceil(left / 60)} minute{Math.ceil(left / 60) === 1 ? "" : "s"}.
        </div>
      )}
      {s.detail && s.status !== "active" && <p>{s.detail}</p>}
      {problem && (
        <div class="alert" role="alert">
          {problem.title}
          {problem.detail ? `: ${problem.detail}` : ""}
        </div>
      )}
      {s.status === "active" && s.item_type === "protocol_tunnel_jump" && (
        <p>
          This session carries tunnels only, which run in the CLI: <code>jumpgate tunnel --session {s.id}</code>.
        </p>
      )}
      {s.status === "active" && current && (
        <>
          <div role="tablist" aria-label="Session tools" class="tabs">
            {available.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={t.id === current.id}
                aria-controls={`panel-${t.id}`}
                tabIndex={t.id === current.id ? 0 : -1}
                onClick={() => setTab(t.id)}
                onKeyDown={(e) => {
                  const i = available.indexOf(t);
                  const n = e.key === "ArrowRight" ? available[(i + 1) % available.length] : e.key === "ArrowLeft" ? available[(i + available.length - 1) % available.length] : undefined;
                  if (n) {
                    setTab(n.id);
                    queueMicrotask(() => document.getElementById(`tab-${n.id}`)?.focus());
                  }
                }}
              >
                {t.label}
              </button>
            ))}
          </div>
          {/* The terminal stays mounted while another tab shows, so its shell goes on. */}
          {perms.shell && (
            <div role="tabpanel" id="panel-terminal" aria-labelledby="tab-terminal" hidden={current.id !== "terminal"}>
              <TerminalTab sessionId={id} />
            </div>
          )}
          {current.id === "files" && (
            <div role="tabpanel" id="panel-files" aria-labelledby="tab-files">
              <FilesTab sessionId={id} canWrite={!!perms.file_write && !s.control_revoked} />
            </div>
          )}
          {current.id === "sysinfo" && (
            <div role="tabpanel" id="panel-sysinfo" aria-labelledby="tab-sysinfo">
              <SysInfoTab sessionId={id} />
            </div>
          )}
        </>
      )}
      <p>
        {itemHref && <Link href={itemHref}>Back to {s.item_name}</Link>} · <Link href="/sessions">All sessions</Link>
      </p>
    </main>
  );
}
