// The approvals page (/approvals): the requests to use a Jump Item that the
// user made or may decide (GET /api/v1/approvals, by status: pending by
// default). A pending request someone else made can be granted for a while
// (at most, and by default, its Jump Policy's approval_max_duration) or
// denied, with a comment; the API says no to a user who is not one of the
// policy's approvers, and the page shows why.
import { useState } from "preact/hooks";
import { api, fieldErrors, type Problem } from "../../api/client";
import type { components } from "../../api/schema";
import { checkForm } from "../../api/validate";
import { Loaded, useLoad, when } from "../../data";
import { Field, FormError } from "../../form";
import { navigate, path, search } from "../../router";
import { session } from "../../session";
import "../account/pages.css";

type Approval = components["schemas"]["Approval"];

const statuses = ["pending", "granted", "denied", "expired", "all"];

export function ApprovalsPage() {
  const status = new URLSearchParams(search.value).get("status") ?? "pending";
  const [reload, setReload] = useState(0);
  const [deciding, setDeciding] = useState<Approval | undefined>();
  const [done, setDone] = useState("");
  const me = session.value?.user?.id;
  const list = useLoad(
    () => api.GET("/api/v1/approvals", { params: { query: { status: status === "all" ? undefined : status } } }),
    [status, reload],
  );

  return (
    <main id="main">
      <h1 tabIndex={-1}>Approvals</h1>
      <p class="hint">
        Requests to use a Jump Item whose Jump Policy needs approval. A grant lets the requester start sessions on the
        item until it expires; they then run their request again.
      </p>
      <div class="filters">
        <div class="field">
          <label for="approvals-status">Status</label>
          <select id="approvals-status" value={status} onChange={(e) => {
            const v = (e.currentTarget as HTMLSelectElement).value;
            navigate(path.value + (v === "pending" ? "" : `?status=${v}`), true);
          }}>
            {statuses.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </div>
      </div>
      <p role="status">{done}</p>
      {deciding && (
        <Decide a={deciding} onClose={(msg) => {
          setDeciding(undefined);
          if (msg) {
            setDone(msg);
            setReload((n) => n + 1);
          }
        }} />
      )}
      <Loaded load={list}>
        {(page) =>
          (page.items ?? []).length === 0 ? (
            <p>{status === "pending" ? "No pending requests." : "No requests."}</p>
          ) : (
            <table>
              <caption class="visually-hidden">Approval requests</caption>
              <thead>
                <tr><th scope="col">Request</th><th scope="col">Item</th><th scope="col">Requester</th><th scope="col">Reason</th><th scope="col">Status</th><th scope="col">Requested</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
              </thead>
              <tbody>
                {(page.items ?? []).map((a) => (
                  <tr key={a.id}>
                    <td>{a.id}</td>
                    <td>{a.item_name}</td>
                    <td>{a.username}</td>
                    <td>{a.reason}</td>
                    <td>{a.status}{a.decided_by ? ` by ${a.decided_by}` : ""}{a.comment ? `: ${a.comment}` : ""}</td>
                    <td>{when(a.requested_at)}</td>
                    <td>{when(a.expires_at)}</td>
                    <td>
                      {a.status === "pending" && a.user_id !== me && (
                        <button type="button" aria-label={`Decide request ${a.id} by ${a.username}`} onClick={() => { setDone(""); setDeciding(a); }}>
                          Decide
                        </button>
                      )}
                      {a.status === "pending" && a.user_id === me && <span class="hint">yours: waiting for an approver</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </main>
  );
}

/** Decide grants (with a duration) or denies one request. */
function Decide({ a, onClose }: { a: Approval; onClose: (done?: string) => void }) {
  const [minutes, setMinutes] = useState("");
  const [comment, setComment] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState("");
  const [busy, setBusy] = useState(false);

  async function decide(grant: boolean) {
    setFormError("");
    const values: Record<string, string> = { comment };
    if (grant && minutes) values.duration_minutes = minutes;
    const local = checkForm("ApprovalDecision", values);
    if (grant && minutes && !/^\d+$/.test(minutes)) local.duration_minutes = "must be a whole number of minutes";
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    const body = { comment: comment || undefined, duration_minutes: grant && minutes ? Number(minutes) : undefined };
    const params = { params: { path: { id: a.id! } }, body };
    setBusy(true);
    const { data, error } = grant
      ? await api.POST("/api/v1/approvals/{id}/grant", params)
      : await api.POST("/api/v1/approvals/{id}/deny", params);
    setBusy(false);
    if (data) {
      onClose(grant ? `Request ${a.id} granted until ${when(data.expires_at)}.` : `Request ${a.id} denied.`);
      return;
    }
    const p = error as Problem;
    const fe = fieldErrors(p);
    setErrors(fe);
    if (Object.keys(fe).length === 0) setFormError(p.detail ? `${p.title}: ${p.detail}` : (p.title ?? "The decision failed"));
  }

  return (
    <section class="panel" aria-labelledby="decide-heading">
      <h2 id="decide-heading">Request {a.id}: {a.item_name} for {a.username}</h2>
      {a.reason && <p>Reason given: {a.reason}</p>}
      <form onSubmit={(e) => { e.preventDefault(); void decide(true); }} noValidate>
        <FormError message={formError} />
        <Field label="Duration in minutes" name="duration_minutes" value={minutes} error={errors.duration_minutes} onInput={setMinutes}
          inputMode="numeric" hint="How long the grant lasts. Empty: the Jump Policy's maximum, which also caps it." />
        <Field label="Comment" name="comment" value={comment} error={errors.comment} onInput={setComment}
          hint="Shown to the requester, and kept in the audit log." />
        <div class="actions">
          <button type="submit" disabled={busy}>Grant</button>
          <button type="button" disabled={busy} class="danger" onClick={() => decide(false)}>Deny</button>
          <button type="button" class="secondary" onClick={() => onClose()}>Cancel</button>
        </div>
      </form>
    </section>
  );
}
