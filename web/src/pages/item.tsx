// An item's page (/items/client/{id}, /items/tunnel/{id}): what it is, and
// a session started on it in each mode it allows. A Jump Client offers an
// unattended session and one that asks the end user for consent; a refusal
// says why and what to do (a ticket ID to enter, an approval to wait for,
// consent instead of unattended). A Protocol Tunnel Jump's tunnels need a
// local port, which a browser cannot open: its page shows the command.
import { useEffect, useState } from "preact/hooks";
import { api, problemOf, type Problem } from "../api/client";
import type { components } from "../api/schema";
import { Loaded, useLoad, when } from "../data";
import { Field } from "../form";
import { Link, navigate } from "../router";

type Session = components["schemas"]["Session"];
type Refusal = Problem & { reason?: string; session_id?: number; approval_id?: number };

/** refusalHint says what a representative can do about a refusal. */
function refusalHint(r: Refusal): string {
  switch (r.reason) {
    case "approval_required":
      return `Approval request ${r.approval_id ?? ""} is pending. An approver grants it with 'jumpgate approvals grant ${r.approval_id ?? "ID"}'; this page notices when they have.`;
    case "ticket_required":
    case "ticket_rejected":
      return "Enter a ticket ID the ticket system accepts, then start the session again.";
    case "consent_required":
      return "The session policy asks the end user here: start the session with consent instead.";
    case "unattended_disabled":
      return "Unattended sessions are turned off: start the session with consent.";
    case "endpoint_offline":
      return "The endpoint is not connected; wait until it is online.";
    case "no_access":
      return "Your role on this item's Jump Group does not let you start sessions.";
  }
  return "";
}

function Starter({ itemType, itemId, modes }: { itemType: "jump_client" | "protocol_tunnel_jump"; itemId: number; modes: ("unattended" | "consent")[] }) {
  const [ticket, setTicket] = useState("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const start = async (mode: "unattended" | "consent" | undefined) => {
    setBusy(true);
    setRefusal(undefined);
    const { data, error, response } = await api.POST("/api/v1/sessions", {
      body: { item_type: itemType, item_id: itemId, mode, ticket_id: ticket || undefined, reason: reason || undefined },
    });
    setBusy(false);
    if (data) {
      navigate(`/sessions/${(data as Session).id}`);
      return;
    }
    setRefusal(problemOf(error, response) as Refusal);
  };
  // While an approval is pending, ask every 5 seconds whether it was decided.
  const [decided, setDecided] = useState<string | undefined>();
  const approvalId = refusal?.reason === "approval_required" ? refusal.approval_id : undefined;
  useEffect(() => {
    setDecided(undefined);
    if (!approvalId) return;
    const t = setInterval(async () => {
      const { data } = await api.GET("/api/v1/approvals", {});
      const a = data?.items?.find((x) => x.id === approvalId);
      if (a && a.status !== "pending") {
        setDecided(a.status);
        clearInterval(t);
      }
    }, 5000);
    return () => clearInterval(t);
  }, [approvalId]);
  const ticketError = refusal?.reason === "ticket_required" || refusal?.reason === "ticket_rejected" ? "is required by the Jump Policy" : undefined;
  return (
    <section aria-labelledby="start-h">
      <h2 id="start-h">Start a session</h2>
      <Field label="Ticket ID" name="ticket_id" value={ticket} onInput={setTicket} hint="Only where the Jump Policy asks for one." error={ticketError} />
      <Field label="Reason" name="reason" value={reason} onInput={setReason} hint="Kept with the session and shown to approvers." />
      {refusal && (
        <div class={refusal.reason === "approval_required" ? "warning" : "alert"} role="alert">
          <strong>Session refused{refusal.reason ? ` (${refusal.reason.replaceAll("_", " ")})` : ""}</strong>: {refusal.detail ?? refusal.title}
          {refusalHint(refusal) && <p>{refusalHint(refusal)}</p>}
          {decided && (
            <p role="status">
              <strong>The approval request was {decided}.</strong>
              {decided === "granted" ? " Start the session now." : ""}
            </p>
          )}
        </div>
      )}
      <div class="actions">
        {modes.length === 0 ? (
          <button type="button" disabled={busy} onClick={() => start(undefined)}>
            Start session
          </button>
        ) : (
          modes.map((m) => (
            <button key={m} type="button" disabled={busy} onClick={() => start(m)}>
              {m === "unattended" ? "Start unattended session" : "Start session with consent"}
            </button>
          ))
        )}
      </div>
    </section>
  );
}

/** Copy is a button that copies text to the clipboard and says so. */
export function Copy({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState("");
  return (
    <>
      <button
        type="button"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setDone("Copied to the clipboard.");
          } catch {
            setDone("The browser did not allow copying; select the text instead.");
          }
        }}
      >
        {label}
      </button>
      <span role="status" class="hint">
        {done}
      </span>
    </>
  );
}

export function ClientPage({ id }: { id: number }) {
  const c = useLoad(() => api.GET("/api/v1/jump-clients/{id}", { params: { path: { id } } }), [id]);
  return (
    <main id="main">
      <p>
        <Link href="/items">← Jump Items</Link>
      </p>
      <Loaded load={c}>
        {(jc) => (
          <>
            <h1 tabIndex={-1}>{jc.name}</h1>
            <dl class="facts">
              <div><dt>Type</dt><dd>Jump Client</dd></div>
              <div><dt>Status</dt><dd>{jc.status}</dd></div>
              <div><dt>Host name</dt><dd>{jc.hostname || "—"}</dd></div>
              <div><dt>Platform</dt><dd>{jc.platform || "—"}</dd></div>
              <div><dt>Connection</dt><dd>{jc.connection_type}</dd></div>
              <div><dt>Tag</dt><dd>{jc.tag || "—"}</dd></div>
              <div><dt>Last seen</dt><dd>{when(jc.last_seen_at)}</dd></div>
              {jc.comments && <div><dt>Comments</dt><dd>{jc.comments}</dd></div>}
            </dl>
            <Starter itemType="jump_client" itemId={jc.id ?? id} modes={["unattended", "consent"]} />
          </>
        )}
      </Loaded>
    </main>
  );
}

export function TunnelPage({ id }: { id: number }) {
  const t = useLoad(() => api.GET("/api/v1/protocol-tunnel-jumps/{id}", { params: { path: { id } } }), [id]);
  return (
    <main id="main">
      <p>
        <Link href="/items">← Jump Items</Link>
      </p>
      <Loaded load={t}>
        {(tj) => {
          const cmd = `jumpgate tunnel tunnel:${tj.id}`;
          return (
            <>
              <h1 tabIndex={-1}>{tj.name}</h1>
              <dl class="facts">
                <div><dt>Type</dt><dd>Protocol Tunnel Jump</dd></div>
                <div><dt>Host</dt><dd>{tj.hostname}</dd></div>
                <div><dt>Tag</dt><dd>{tj.tag || "—"}</dd></div>
                <div>
                  <dt>Tunnels</dt>
                  <dd>
                    {tj.tunnel_definitions.map((d) => `local ${d.local_port || "any"} → ${tj.hostname}:${d.remote_port}`).join(", ")}
                  </dd>
                </div>
              </dl>
              <section aria-labelledby="cmd-h">
                <h2 id="cmd-h">Open the tunnels</h2>
                <p>
                  A browser cannot open local ports, so tunnels run in the <code>jumpgate</code> CLI on your machine. It starts a session, prints
                  one <code>LOCAL_ADDRESS:PORT -&gt; host:port</code> line per tunnel and holds them until you interrupt it:
                </p>
                <pre>
                  <code>{cmd}</code>
                </pre>
                <Copy text={cmd} label="Copy command" />
              </section>
            </>
          );
        }}
      </Loaded>
    </main>
  );
}

/** ItemPage picks the page of /items/{client|tunnel}/{id}. */
export function ItemPage({ kind, id }: { kind: string; id: number }) {
  return kind === "tunnel" ? <TunnelPage id={id} /> : <ClientPage id={id} />;
}

